using System.Diagnostics;

namespace Firebreak.Testing;

/// <summary>
/// A real, tiny file system (tmpfs of a given size) mounted on a fresh directory, so a test can fill it and
/// see the operating system's own "no space left on device". Mounting needs root, CAP_SYS_ADMIN or
/// password-less sudo: where all are refused the test is skipped with the reason. That is a missing privilege,
/// not a missing service, and the full-disk path is still proven everywhere: the CLI tests also fill a
/// file-size limit, which needs no privileges at all.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly bool _sudo;

    private SmallDisk(string path, bool sudo)
    {
        Path = path;
        _sudo = sudo;
    }

    public string Path { get; }

    public static SmallDisk Mount(int kibibytes)
    {
        var path = Directory.CreateTempSubdirectory("firebreak-small-disk-").FullName;
        string[] mount = ["mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0777", "tmpfs", path];
        var (exitCode, error) = Run(mount[0], mount[1..]);
        if (exitCode == 0) return new SmallDisk(path, sudo: false);
        if (Run("sudo", ["-n", .. mount]).ExitCode == 0) return new SmallDisk(path, sudo: true);
        Directory.Delete(path);
        var reason = $"a {kibibytes} KiB tmpfs could not be mounted to fill a disk for real ({error.Trim()}); run the tests as root or with CAP_SYS_ADMIN";
        Assert.Skip(reason);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Every file under the mount, relative to it.</summary>
    public IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(Path, f)).Order().ToList();

    public void Dispose()
    {
        if (_sudo) Run("sudo", "-n", "umount", "--lazy", Path);
        else Run("umount", "--lazy", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (int ExitCode, string Error) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
