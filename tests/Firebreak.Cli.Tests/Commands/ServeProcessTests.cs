using System.Diagnostics;
using System.Text.RegularExpressions;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// `firebreak serve` as an operator runs it: the built executable in its own process, started from an
/// unrelated working directory and outside Development, where static assets have gone missing before.
/// </summary>
public sealed partial class ServeProcessTests : IAsyncLifetime
{
    private readonly string _data = Cli.NewDataDirectory();
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("firebreak-cwd-").FullName;
    private readonly List<string> _output = [];
    private Process? _process;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Cli.DeleteDataDirectory(_data);
        Cli.DeleteDataDirectory(_workingDirectory);
    }

    [Fact]
    public async Task Serve_PrintsItsUrlAndDatabase_AndServesHealthAndTheLoginPageWithItsScripts()
    {
        var url = await StartServeAsync();

        var printed = string.Join('\n', Lines());
        Assert.Contains($"Database: SQLite {Path.Combine(_data, "firebreak.db")}", printed);
        Assert.Matches("No users yet.*firebreak admin bootstrap", printed);

        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        var cancellationToken = TestContext.Current.CancellationToken;

        using var live = await http.GetAsync("/health/live", cancellationToken);
        Assert.True(live.IsSuccessStatusCode, live.StatusCode.ToString());

        using var home = await http.GetAsync("/", cancellationToken);
        var html = await home.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(home.IsSuccessStatusCode, home.StatusCode.ToString());
        Assert.Equal("/login", home.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("<h1>Sign in</h1>", html);
        Assert.Contains("<script src=\"_framework/blazor.web.js\"></script>", html);

        using var script = await http.GetAsync("/_framework/blazor.web.js", cancellationToken);
        var js = await script.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(script.IsSuccessStatusCode, script.StatusCode.ToString());
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.True(js.Length > 10_000, $"blazor.web.js is only {js.Length} characters");
        Assert.Contains("Blazor", js);

        var stylesheet = Stylesheet().Match(html);
        Assert.True(stylesheet.Success, html);
        using var css = await http.GetAsync("/" + stylesheet.Groups[1].Value, cancellationToken);
        Assert.True(css.IsSuccessStatusCode, css.StatusCode.ToString());
        Assert.NotEmpty(await css.Content.ReadAsStringAsync(cancellationToken));
    }

    private async Task<string> StartServeAsync()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "firebreak.exe" : "firebreak");
        var start = File.Exists(apphost)
            ? new ProcessStartInfo(apphost)
            : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "firebreak.dll") } };
        foreach (var arg in new[] { "serve", "--urls", "http://127.0.0.1:0", "--data-dir", _data }) start.ArgumentList.Add(arg);
        start.WorkingDirectory = _workingDirectory;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ConnectionStrings__Postgres");
        start.Environment.Remove("ASPNETCORE_URLS");

        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The lines after the URL (the database, whether there are users, which takes a query) end with this one.
        var banner = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.Add(e.Data);
            var match = Listening().Match(e.Data);
            if (match.Success) listening.TrySetResult(match.Groups[1].Value);
            if (e.Data.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal)) banner.TrySetResult();
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_output) _output.Add("stderr: " + e.Data);
        };
        _process.Exited += (_, _) =>
        {
            var early = new InvalidOperationException("firebreak serve exited early:\n" + string.Join('\n', Lines()));
            listening.TrySetException(early);
            banner.TrySetException(early);
        };
        Assert.True(_process.Start());
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await banner.Task.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        return url;
    }

    private List<string> Lines()
    {
        lock (_output) return [.. _output];
    }

    [GeneratedRegex(@"Firebreak listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [GeneratedRegex(@"<link rel=""stylesheet"" href=""([^""]+\.css)""")]
    private static partial Regex Stylesheet();
}
