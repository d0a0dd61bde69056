using System.Globalization;

namespace Firebreak.LoadGen;

/// <summary>
/// CPU time the server process spent during a run, from /proc on Linux. On a shared or busy machine the
/// wall-clock rate mostly measures the neighbours; CPU per alert measures Firebreak.
/// </summary>
public sealed class ServerCpu(int? pid)
{
    private readonly double? _start = Read(pid);

    public string Describe(long alerts, string unit = "alert")
    {
        if (Read(pid) is not { } end || _start is not { } start) return "";
        var seconds = end - start;
        var perItem = alerts == 0 ? 0 : seconds * 1_000_000 / alerts;
        return string.Create(CultureInfo.InvariantCulture, $"; server CPU {seconds:F1} s, {perItem:N0} µs per {unit}");
    }

    private static double? Read(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat")) return null;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name, which is in parentheses and may hold spaces: utime is the 14th field, stime the 15th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticksPerSecond = 100;
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
    }
}
