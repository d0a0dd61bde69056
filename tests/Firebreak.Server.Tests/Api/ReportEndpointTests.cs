using System.Net;
using System.Net.Http.Json;
using System.Text;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Api;

public class ReportEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Hostile = "<script>alert(1)</script> ) Tj ET | evil";

    private async Task<string> NewIncidentAsync()
    {
        var incident = await fixture.Acme.Client(Role.Responder).CreateIncidentAsync(new { title = Hostile, severity = "SEV1", summary = "Keys leaked." });
        return incident.GetProperty("reference").GetString()!;
    }

    [Theory]
    [InlineData("pdf", "application/pdf", "pdf")]
    [InlineData("html", "text/html", "html")]
    [InlineData("md", "text/markdown", "md")]
    [InlineData("PDF", "application/pdf", "pdf")]
    public async Task Report_DownloadsInEachFormat_NamedAfterTheReference(string format, string contentType, string extension)
    {
        var reference = await NewIncidentAsync();

        var response = await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{reference}/report?format={format}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"{reference}-report.{extension}", response.Content.Headers.ContentDisposition.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = Encoding.UTF8.GetString(bytes);
        if (extension == "pdf")
        {
            Assert.StartsWith("%PDF-1.4", text);
            Assert.Contains("\\) Tj ET", text);
        }
        else
        {
            Assert.Contains(reference, text);
            Assert.DoesNotContain("<script>", text);
        }
    }

    [Fact]
    public async Task Report_WithoutAFormat_IsHtml_AndEachDownloadIsAudited()
    {
        var reference = await NewIncidentAsync();
        var viewer = fixture.Acme.Client(Role.Viewer);

        var response = await viewer.GetAsync($"/api/v1/incidents/{reference}/report");
        await viewer.GetAsync($"/api/v1/incidents/{reference}/report?format=pdf");

        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var audit = await (await viewer.GetAsync($"/api/v1/incidents/{reference}/audit?pageSize=100")).JsonAsync();
        var exports = audit.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("action").GetString() == "exported").ToList();
        Assert.Equal(2, exports.Count);
        Assert.All(exports, e => Assert.Equal("IncidentReport", e.GetProperty("entityType").GetString()));
        Assert.Contains(exports, e => e.GetProperty("after").GetString()!.Contains("\"format\":\"pdf\""));
    }

    [Theory]
    [InlineData("docx")]
    [InlineData("text")]
    [InlineData("pdf%00")]
    public async Task Report_InAnUnknownFormat_Answers400_AndRecordsNothing(string format)
    {
        var reference = await NewIncidentAsync();
        var viewer = fixture.Acme.Client(Role.Viewer);

        var problem = await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"/api/v1/incidents/{reference}/report?format={format}"), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("format", out _));
        var audit = await (await viewer.GetAsync($"/api/v1/incidents/{reference}/audit?pageSize=100")).JsonAsync();
        Assert.DoesNotContain(audit.GetProperty("items").EnumerateArray(), a => a.GetProperty("action").GetString() == "exported");
    }

    [Fact]
    public async Task Report_OfAnUnknownOrOtherTenantsIncident_Answers404()
    {
        var reference = await NewIncidentAsync();

        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/incidents/INC-1999-9999/report?format=pdf"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync($"/api/v1/incidents/{reference}/report?format=pdf"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync($"/api/v1/incidents/{reference}/status-update"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(null, "text/markdown", "## Next update")]
    [InlineData("html", "text/html", "<h2>Next update</h2>")]
    [InlineData("text", "text/plain", "Next update\n===========")]
    public async Task StatusUpdate_IsShownInline_InTheAskedFormat(string? format, string contentType, string expected)
    {
        var reference = await NewIncidentAsync();

        var response = await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{reference}/status-update" + (format is null ? "" : $"?format={format}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        Assert.Null(response.Content.Headers.ContentDisposition);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(expected, body);
        Assert.Contains("every 1 h while the incident is SEV1", body);
    }

    [Fact]
    public async Task StatusUpdate_InAnUnknownFormat_Answers400()
    {
        var reference = await NewIncidentAsync();

        var problem = await ProblemDetailsTests.AssertProblemAsync(
            await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{reference}/status-update?format=pdf"), HttpStatusCode.BadRequest);

        Assert.Contains("md, html, text", problem.GetProperty("errors").GetProperty("format")[0].GetString());
    }
}
