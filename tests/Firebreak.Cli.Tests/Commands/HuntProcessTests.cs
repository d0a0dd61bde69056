using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// `firebreak hunt` as its own process, with standard output a pipe: hit lines then go to the output
/// stream as UTF-8 bytes, past the text writer the in-process tests read.
/// </summary>
public sealed class HuntProcessTests(SimulatedLogs sim) : IClassFixture<SimulatedLogs>
{
    private static Task<(int ExitCode, byte[] Out, string Err)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private static Task<(int ExitCode, byte[] Out, string Err)> RunAsync(Dictionary<string, string> environment, params string[] args) =>
        RunAsync([], AppContext.BaseDirectory, environment, args);

    /// <summary>Runs the CLI found in <paramref name="folder"/>, behind <paramref name="wrapper"/> (a command that runs another) when it is not empty.</summary>
    internal static async Task<(int ExitCode, byte[] Out, string Err)> RunAsync(IReadOnlyList<string> wrapper, string folder, Dictionary<string, string> environment, params string[] args)
    {
        var apphost = Path.Combine(folder, "firebreak");
        List<string> command = [.. wrapper, .. File.Exists(apphost) ? [apphost] : new[] { "dotnet", Path.Combine(folder, "firebreak.dll") }];
        var start = new ProcessStartInfo(command[0]);
        foreach (var arg in command.Skip(1).Concat(args)) start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output, TestContext.Current.CancellationToken);
        var err = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await copy;
        return (process.ExitCode, output.ToArray(), await err);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    public async Task StreamedLines_OnAPipe_AreTheLinesWrittenInProcess(string format)
    {
        var inProcess = await Cli.RunAsync("hunt", sim.Logs, "--output", format);
        var (exitCode, output, err) = await RunAsync("hunt", sim.Logs, "--output", format);

        Assert.Equal(1, exitCode);
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(output);
        var lines = Lines(text);
        var expected = Lines(inProcess.Out);
        Assert.True(expected.Length > 5, inProcess.Out);
        // Workers find hits in parallel, so the order of lines may differ; the header stays first.
        if (format == "csv") Assert.Equal(expected[0], lines[0]);
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
        Assert.Contains("hit(s)", err);
    }

    [Fact]
    public async Task NonAsciiValues_LeaveTheProcessAsUtf8_WhateverTheLocale()
    {
        var dir = Directory.CreateTempSubdirectory("firebreak-hunt-utf8-").FullName;
        try
        {
            var file = Path.Combine(dir, "trail.json");
            await File.WriteAllTextAsync(file, """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/zoë-опер","userName":"zoë-опер"},"eventID":"e2"}]}""", TestContext.Current.CancellationToken);
            // CSV keeps the characters as they are (JSON lines escape them); the bytes are UTF-8 even when the locale names another encoding.
            var (exitCode, output, _) = await RunAsync(new Dictionary<string, string> { ["LC_ALL"] = "en_US.ISO-8859-1", ["LANG"] = "en_US.ISO-8859-1" }, "hunt", file, "--output", "csv");

            Assert.Equal(1, exitCode);
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(output);
            Assert.Contains("arn:aws:iam::111122223333:user/zoë-опер", text);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AFolderThatCannotBeListed_IsAnError_NotAQuietlySmallerHunt()
    {
        // Before, a sub-folder the user may not list was skipped without a word: the hunt of the rest said
        // "no hits" and "0 read error(s)", though a trail was stopped in the folder it never read.
        var dir = Directory.CreateTempSubdirectory("firebreak-hunt-locked-").FullName;
        var locked = Path.Combine(dir, "locked");
        try
        {
            const UnixFileMode Everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            File.SetUnixFileMode(dir, Everyone);
            Directory.CreateDirectory(Path.Combine(dir, "open"));
            Directory.CreateDirectory(locked);
            await File.WriteAllTextAsync(Path.Combine(dir, "open", "trail.json"), """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}]}""", TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(locked, "trail.json"), """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e2"}]}""", TestContext.Current.CancellationToken);
            File.SetUnixFileMode(locked, UnixFileMode.None);

            var (exitCode, output, err) = await RunUnprivilegedAsync("hunt", dir, "--output", "jsonl");

            // As for a missing path among others: the rest is hunted (no hits, exit 0) and the error is printed and counted.
            Assert.True(exitCode == 0, err);
            Assert.Empty(output);
            Assert.Contains($"error: {locked}:?: this folder cannot be listed (permission denied): its files are not read", err, StringComparison.Ordinal);
            Assert.Contains("1 event", err, StringComparison.Ordinal);
            Assert.Contains("1 read error(s)", err, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Runs the CLI as a user that file permissions bind: as root (which they do not bind), as nobody, from a
    /// copy of the CLI that nobody can read when the build output itself sits where nobody may go.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task<(int ExitCode, byte[] Out, string Err)> RunUnprivilegedAsync(params string[] args)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return await RunAsync(args);
        }

        string[] nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
        var dll = Path.Combine(AppContext.BaseDirectory, "firebreak.dll");
        using (var probe = Process.Start(new ProcessStartInfo(nobody[0], [.. nobody[1..], "test", "-r", dll]))!)
        {
            await probe.WaitForExitAsync(TestContext.Current.CancellationToken);
            if (probe.ExitCode == 0)
            {
                return await RunAsync(nobody, AppContext.BaseDirectory, new Dictionary<string, string>(), args);
            }
        }

        var copy = Directory.CreateTempSubdirectory("firebreak-cli-copy-").FullName;
        try
        {
            foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(AppContext.BaseDirectory, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            foreach (var folder in Directory.EnumerateDirectories(copy, "*", SearchOption.AllDirectories).Append(copy))
            {
                File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            return await RunAsync(nobody, copy, new Dictionary<string, string>(), args);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
