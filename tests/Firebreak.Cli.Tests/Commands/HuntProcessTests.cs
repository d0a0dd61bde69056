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

    private static async Task<(int ExitCode, byte[] Out, string Err)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "firebreak");
        var start = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "firebreak.dll") } };
        foreach (var arg in args) start.ArgumentList.Add(arg);
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
}
