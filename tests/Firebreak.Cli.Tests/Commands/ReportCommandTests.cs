using System.Text;

namespace Firebreak.Cli.Tests.Commands;

public sealed class ReportCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("pdf", "%PDF-1.4")]
    [InlineData("html", "<!DOCTYPE html>")]
    [InlineData("md", "# Incident report: Keys leaked")]
    public async Task Report_WritesTheFileInTheFormat(string format, string start)
    {
        var incident = await server.CreateIncidentAsync("Keys leaked");
        var path = Path.Combine(_folder, $"report.{format}");

        var result = await server.RunAsync("report", incident, "--format", format, "--output", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Wrote", result.Out);
        var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path));
        Assert.StartsWith(start, text);
        if (format != "pdf") Assert.Contains(incident, text);
    }

    [Fact]
    public async Task Report_InAnUnknownFormat_IsAUsageError()
    {
        var incident = await server.CreateIncidentAsync("Format test");
        var path = Path.Combine(_folder, "report.docx");

        var result = await server.RunAsync("report", incident, "--format", "docx", "--output", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--format: 'docx' is not valid. Use one of: pdf, html, md.", result.Err);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Report_OfAnUnknownIncident_FailsWithTheServersMessage_AndWritesNothing()
    {
        var path = Path.Combine(_folder, "missing.pdf");

        var result = await server.RunAsync("report", "INC-1999-0999", "--output", path);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("INC-1999-0999", result.Err);
        Assert.Contains("not found", result.Err, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task Report_RefusesToReplaceAFile_WithoutForce()
    {
        var incident = await server.CreateIncidentAsync("Overwrite test");
        var path = Path.Combine(_folder, "existing.md");
        await File.WriteAllTextAsync(path, "keep me");

        var refused = await server.RunAsync("report", incident, "--format", "md", "--output", path);
        var forced = await server.RunAsync("report", incident, "--format", "md", "--output", path, "--force");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("already exists", refused.Err);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.StartsWith("# Incident report: Overwrite test", await File.ReadAllTextAsync(path));
    }
}
