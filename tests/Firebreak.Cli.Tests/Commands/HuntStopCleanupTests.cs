using System.Diagnostics;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>What a hunt leaves behind in <c>TMPDIR</c> when it is stopped while it reads.</summary>
public sealed class HuntStopCleanupTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-hunt-stop-");

    public void Dispose() => _root.Delete(recursive: true);

    private const int SigInt = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>The CLI as a process of its own, SIGINT at its default, its temporary folder <paramref name="tmp"/>.</summary>
    private static Process StartCli(string tmp, params string[] args) => HuntCommandTests.StartCli([$"TMPDIR={tmp}"], args);

    [Fact]
    public async Task Hunt_StoppedByCtrlC_WhileCopyingAParquetStream_LeavesNoCopyOfItInTmpdir()
    {
        // A Parquet file is copied whole to TMPDIR before its rows are read (its directory is at its end). The copy is removed
        // only when its stream is closed; a hunt stopped by Ctrl+C while reading a pipe (hunt <(aws s3 cp ... -), a stalled
        // download) leaves the reader behind and ends with exit 130, and the copy stayed in TMPDIR, the evidence's rows in
        // it, for good. Hits spilled to disk are unlinked as soon as they are open, and a downloaded archive is removed as
        // the process ends; the Parquet copy is neither.
        Assert.SkipUnless(OperatingSystem.IsLinux(), "named pipes and signals as on Linux");
        var tmp = Directory.CreateDirectory(Path.Combine(_root.FullName, "tmp")).FullName;
        var fifo = Path.Combine(_root.FullName, "security-lake.parquet");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        using var hunt = StartCli(tmp, "hunt", fifo, "--output", "jsonl");
        var output = hunt.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = hunt.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await using var pipe = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write), TestContext.Current.CancellationToken)
                .WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
            // The start of a Parquet file, more than a pipe holds, so that the write returns only once the hunt has read
            // (and copied) nearly all of it; then the writer goes quiet and stays open, and the copy waits on the pipe.
            var start = new byte[1024 * 1024];
            "PAR1"u8.CopyTo(start);
            await pipe.WriteAsync(start, TestContext.Current.CancellationToken).AsTask().WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
            await pipe.FlushAsync(TestContext.Current.CancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            Assert.Equal(0, SendSignal(hunt.Id, SigInt));
            await hunt.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!hunt.HasExited) hunt.Kill();
        }

        var stderr = await error;
        await output;
        Assert.True(hunt.ExitCode == 130, $"exit {hunt.ExitCode}\n{stderr}");
        Assert.True(Directory.GetFiles(tmp, "firebreak-parquet-*").Length == 0, $"left in TMPDIR: {string.Join(", ", Directory.GetFiles(tmp, "firebreak-parquet-*").Select(Path.GetFileName))}\n{stderr}");
    }
}
