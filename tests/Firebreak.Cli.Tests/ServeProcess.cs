using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Firebreak.Cli.Tests;

/// <summary>
/// `firebreak serve` as its own operating-system process. The apphost (or `dotnet firebreak.dll`) runs the
/// server in the process it starts, with no wrapper child, so <see cref="KillHardAsync"/> ends the server itself.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly List<string> _output = [];
    private readonly Process _process;
    private bool _disposed;

    private ServeProcess(Process process) => _process = process;

    public string Url { get; private set; } = "";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server on a free loopback port and waits until it prints its URL.</summary>
    public static Task<ServeProcess> StartAsync(string workingDirectory, params string[] options) => StartAsync(workingDirectory, null, options);

    /// <summary>
    /// Starts the server with a limit on the size of any file it writes (RLIMIT_FSIZE, set with prlimit; no
    /// privileges needed). SIGXFSZ is ignored so a write past the limit fails with EFBIG instead of killing
    /// the process, and the runtime's W^X double mapping (a memory file that the limit would also cap) is off.
    /// </summary>
    public static Task<ServeProcess> StartWithFileSizeLimitAsync(string workingDirectory, long maxFileBytes, params string[] options) =>
        StartAsync(workingDirectory, maxFileBytes, options);

    private static async Task<ServeProcess> StartAsync(string workingDirectory, long? maxFileBytes, string[] options)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "firebreak.exe" : "firebreak");
        List<string> command = File.Exists(apphost) ? [apphost] : ["dotnet", Path.Combine(AppContext.BaseDirectory, "firebreak.dll")];
        var start = new ProcessStartInfo(command[0]);
        if (maxFileBytes is { } limit)
        {
            start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\"", limit.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
            foreach (var part in command) start.ArgumentList.Add(part);
        }
        else
        {
            foreach (var part in command.Skip(1)) start.ArgumentList.Add(part);
        }
        foreach (var arg in new[] { "serve", "--urls", "http://127.0.0.1:0" }.Concat(options)) start.ArgumentList.Add(arg);
        start.WorkingDirectory = workingDirectory;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ConnectionStrings__Postgres");
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var serve = new ServeProcess(process);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            serve.Add(e.Data);
            var match = Listening().Match(e.Data);
            if (match.Success) listening.TrySetResult(match.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) serve.Add("stderr: " + e.Data);
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("firebreak serve exited early:\n" + serve.Output));
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        serve.Url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
        return serve;
    }

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    /// <summary>SIGKILL on Unix: no shutdown hooks, no flushing, exactly like a crash or the OOM killer.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    [GeneratedRegex(@"Firebreak listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
