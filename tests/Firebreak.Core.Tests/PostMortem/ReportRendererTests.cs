using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Firebreak.Core.Alerts;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.PostMortem;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Core.PostMortem.Reports.Pdf;

namespace Firebreak.Core.Tests.PostMortem;

public partial class ReportRendererTests
{
    private const string HostileTitle = "<script>alert('x')</script> ) Tj ET (pwned) \\ | ## [link](javascript:alert(1)) & é€";
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    internal static IncidentReport Sample(int timelineEntries = 6, string? title = null)
    {
        var timeline = Enumerable.Range(0, timelineEntries)
            .Select(i => new ReportTimelineItem(T0.AddMinutes(17 * i), null, (TimelineKind)(i % 5), $"Entry {i} " + (i == 0 ? HostileTitle : "CreateAccessKey by ci-deployer"), "cloudtrail", i % 2 == 0 ? "T1078" : null))
            .ToList();
        var incident = new ReportIncident("INC-2026-0042", title ?? HostileTitle, "Summary with <b>markup</b>", Severity.Sev2, Tlp.Amber, Pap.Green,
            IncidentCategory.CompromisedCredentials, Phase.Recovery, IncidentStatus.Open, null, ["payroll", "<tag>"], "Dana Manager", null,
            new Milestones(T0, T0.AddHours(1), T0.AddHours(3), T0.AddHours(5), null, null), T0);
        var metrics = new IncidentMetrics("INC-2026-0042", T0.AddHours(-2), T0, TimeSpan.FromHours(2), TimeSpan.FromHours(1), TimeSpan.FromHours(3),
            TimeSpan.FromHours(5), null, [new(Phase.DetectionAndAnalysis, TimeSpan.FromHours(2)), new(Phase.Containment, TimeSpan.FromHours(3)), new(Phase.Eradication, TimeSpan.FromMinutes(95))]);
        return new IncidentReport(incident, T0.AddHours(6), "viewer@acme.example", ["INC-2026-0042 is a SEV2 incident.", "Second | paragraph\nwith a line break."],
            timeline, timeline.Count,
            new ReportScope([new("access-key", "AKIA<EXAMPLE>")], [new("resource", "arn:aws:s3:::payroll")], [new("ip", "198.51.100.7")], ["aws"], ["123456789012"], ["eu-west-1"]),
            DataLossAssessment.NotAssessed,
            [new ReportAction(T0.AddHours(1), ReportActionKind.PhaseChange, "Moved to Containment: key <disabled>", "dana", "done"),
             new ReportAction(T0.AddHours(2), ReportActionKind.Task, "Rotate | keys", "sam", "to do")],
            [new ReportAlert("Tor exit node", AlertSeverity.High, "guardduty", T0, T0, 3)], 1,
            new ReportEvidence([new ReportEvidenceItem("cloudtrail.json", EvidenceKind.LogSet, "aws", "sam", T0, 2048, Hash, null, "sam", CustodyEvent.Collected, 1)],
                new CustodySummary(1, true, [], T0)),
            metrics, new ReportReview(true, "Review summary.", "Lesson ) one.\n\nLesson two.", "dana", T0.AddHours(6), RootCause: "Key in a <public> repo"),
            [new ReportFollowUp("Enable | secret scanning", "sam", new DateOnly(2026, 3, 1), FollowUpStatus.Open, true, null)],
            [new ReportDataGap("S3 data events", "aws", "s3", DataGapImpact.Scoping, DataGapSource.Analyst, "")],
            [new ReportProviderEscalation("aws", "support", "case-<1>", T0, 60, T0.AddMinutes(90), null,
                ProviderEscalationService.Review(T0, 60, T0.AddMinutes(90), null, T0.AddHours(6)))],
            [new ReportNote(T0, "sam", "Note <img src=x onerror=alert(1)>")]);
    }

    [Fact]
    public void Html_IsSelfContained_EscapesEverything_AndDrawsBothCharts()
    {
        var html = HtmlReportRenderer.Render(IncidentReportDocument.Build(Sample()));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Equal(2, Regex.Matches(html, "<svg ").Count);
        Assert.Equal(6, Regex.Matches(html, "<circle ").Count);
        Assert.Equal(3, Regex.Matches(html, "<rect [^>]*fill=\"#(d64545|f0b429|2680c2)\"").Count(m => m.Value.Contains("height=\"14\"")));
        // Nothing is fetched when the file is opened.
        Assert.DoesNotMatch("(src|href)=\"", html);
        Assert.Equal(["http://www.w3.org/2000/svg"], Regex.Matches(html, "https?://[^\"\\s]+").Select(m => m.Value).Distinct());
        foreach (var section in new[] { "Executive summary", "Timeline", "Scope", "Data-loss extent", "Actions taken", "Evidence", "Metrics", "Lessons learned",
                     "Follow-up actions", "Data gaps", "Provider escalations and SLA" })
            Assert.Contains($"<h2>{section}</h2>", html);
        Assert.Contains(Hash, html);
        Assert.Contains("Not assessed", html);
        Assert.Contains("<p>Key in a &lt;public&gt; repo</p>", html);
        Assert.Contains("<td>BREACHED by 30 min</td>", html);
        Assert.Contains("<td>open, OVERDUE</td>", html);
        Assert.Contains("<td>S3 data events</td><td>aws s3</td><td>scoping</td>", html);
        Assert.Contains("<p class=\"muted\">Not answered yet.</p>", html);
    }

    [Fact]
    public void Markdown_EscapesUserText_SoTablesAndHeadingsCannotBeBroken()
    {
        var md = MarkdownReportRenderer.Render(IncidentReportDocument.Build(Sample()));

        Assert.StartsWith("# Incident report: \\<script\\>alert('x')\\</script\\> ) Tj ET (pwned) \\\\ \\| ## \\[link\\](javascript:alert(1)) \\& é€\n", md);
        Assert.DoesNotMatch(@"(?m)(?<!\\)(?<!^)[<>\[\]]", md.Replace("\\\\", ""));
        Assert.Contains("| Rotate \\| keys |", md);
        // Every row of the actions table has as many unescaped pipes as the header.
        var actions = md[md.IndexOf("## Actions taken", StringComparison.Ordinal)..];
        var rows = actions.Split('\n').Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(6, Regex.Matches(r, @"(?<!\\)\|").Count));
        Assert.Contains($"`{Hash}`", md);
        Assert.Contains("*Not assessed: no data-loss assessment has been recorded for this incident.*", md);
        Assert.Equal("\\# not a heading", MarkdownReportRenderer.Inline("# not a heading"));
        Assert.Equal("1\\. not a list", MarkdownReportRenderer.Inline("1. not a list"));
        Assert.Equal("\\- not a list either", MarkdownReportRenderer.Inline("  - not a list either"));
    }

    [Fact]
    public void Pdf_IsStructurallyValid_WithCorrectXrefOffsets_AndEscapedText()
    {
        var pdf = PdfReportRenderer.Render(IncidentReportDocument.Build(Sample()), T0);

        var structure = PdfStructure.Check(pdf);
        Assert.Equal(structure.PageObjects, structure.PageCount);
        Assert.True(structure.PageCount >= 2, $"expected a second page, got {structure.PageCount}");
        var text = string.Join('\n', structure.Strings);
        Assert.Contains("Incident report: <script>alert('x')</script> ) Tj ET (pwned) \\ | ## [link](javascript:alert(1)) & é€", Normalise(text));
        Assert.Contains(Hash, text);
        Assert.Contains("TLP:AMBER", text);
        Assert.Contains("Page 1 of " + structure.PageCount, text);
        Assert.Contains("Not assessed: no data-loss assessment", Normalise(text));
        // Each text operator stands alone: the hostile ") Tj ET (" became string content, not operators.
        Assert.All(structure.Contents, c => Assert.Equal(Regex.Matches(c, @"\bBT\b").Count, Regex.Matches(c, @"\) Tj ET\n").Count));
    }

    [Fact]
    public void Pdf_OfALongTimeline_BreaksOntoPagesAndRepeatsTheTableHeader()
    {
        var pdf = PdfReportRenderer.Render(IncidentReportDocument.Build(Sample(timelineEntries: 400, title: "Long")), T0);

        var structure = PdfStructure.Check(pdf);
        Assert.True(structure.PageCount >= 8, $"only {structure.PageCount} pages");
        Assert.Contains("Entry 399 CreateAccessKey by ci-deployer", string.Join('\n', structure.Strings));
        Assert.True(structure.Strings.Count(s => s == "Event time") >= 6);
    }

    [Fact]
    public void Pdf_TextIsReadableByPoppler()
    {
        var path = Path.Combine(Path.GetTempPath(), $"firebreak-report-{Guid.NewGuid():N}.pdf");
        File.WriteAllBytes(path, PdfReportRenderer.Render(IncidentReportDocument.Build(Sample()), T0));
        try
        {
            var start = new ProcessStartInfo("pdftotext", ["-layout", path, "-"]) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("<script>alert('x')</script> ) Tj ET (pwned)", output);
            Assert.Contains("é€", output);
            Assert.Contains(Hash[..20], output);
            Assert.Contains("Time in each phase", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Wrap_BreaksLongWordsAndKeepsEveryCharacter()
    {
        var text = "short words then " + new string('x', 300) + " and the end";
        var lines = PdfReportRenderer.Wrap(text, PdfFont.Helvetica, 10, 200);

        Assert.All(lines, l => Assert.True(PdfFont.Helvetica.Measure(l, 10) <= 200));
        Assert.Equal(text.Replace(" ", ""), string.Concat(lines).Replace(" ", ""));
    }

    [Fact]
    public void StatusUpdate_RendersInEveryTextFormat()
    {
        var update = StatusUpdate.From(Sample());
        var document = update.ToDocument();

        var text = TextReportRenderer.Render(document);
        var md = MarkdownReportRenderer.Render(document);
        var html = HtmlReportRenderer.Render(document);

        Assert.Contains("Current phase:       Recovery", text);
        Assert.Contains("By 2026-03-14 19:00 UTC (every 4 h while the incident is SEV2).", text);
        Assert.Contains("## Next steps", md);
        Assert.Contains("- Rotate \\| keys (to do, sam)\n", md);
        Assert.Contains("<li>Principals: AKIA&lt;EXAMPLE&gt;.</li>", html);
        Assert.Contains("- Follow-up: Enable \\| secret scanning (open, overdue, sam)\n", md);
        Assert.DoesNotContain("<script", html);
    }

    private static string Normalise(string text) => MultipleSpaces().Replace(text.Replace('\n', ' '), " ");

    [GeneratedRegex(" {2,}")]
    private static partial Regex MultipleSpaces();
}

/// <summary>An independent reading of a PDF: header, every xref offset, the trailer, pages, and the strings shown.</summary>
internal sealed record PdfStructure(int PageCount, int PageObjects, IReadOnlyList<string> Contents, IReadOnlyList<string> Strings)
{
    public static PdfStructure Check(byte[] pdf)
    {
        var latin = Encoding.Latin1.GetString(pdf);
        Assert.StartsWith("%PDF-1.", latin);
        Assert.EndsWith("%%EOF\n", latin);
        var startxref = long.Parse(Regex.Match(latin, @"startxref\n(\d+)\n%%EOF\n$").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.StartsWith("xref\n0 ", latin[(int)startxref..]);
        var header = Regex.Match(latin[(int)startxref..], @"^xref\n0 (\d+)\n");
        var count = int.Parse(header.Groups[1].Value, CultureInfo.InvariantCulture);
        var entries = latin[((int)startxref + header.Length)..].Split('\n').Take(count).ToList();
        Assert.Equal("0000000000 65535 f ", entries[0]);
        for (var i = 1; i < count; i++)
        {
            Assert.Matches(@"^\d{10} 00000 n $", entries[i]);
            var offset = int.Parse(entries[i][..10], CultureInfo.InvariantCulture);
            Assert.StartsWith($"{i} 0 obj\n", latin[offset..]);
        }
        Assert.Contains($"/Size {count} /Root 1 0 R", latin);

        var pageCount = int.Parse(Regex.Match(latin, @"/Type /Pages /Kids \[[^\]]*\] /Count (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var pageObjects = Regex.Matches(latin, @"/Type /Page /").Count;
        var contents = new List<string>();
        foreach (Match stream in Regex.Matches(latin, @"<< /Length (\d+) >>\nstream\n"))
        {
            var length = int.Parse(stream.Groups[1].Value, CultureInfo.InvariantCulture);
            var start = stream.Index + stream.Length;
            Assert.Equal("\nendstream", latin.Substring(start + length, 10));
            contents.Add(latin.Substring(start, length));
        }
        var strings = contents.SelectMany(c => Regex.Matches(c, @"\((?<s>(?:[^\\()]|\\.)*)\) Tj").Select(m => Unescape(m.Groups["s"].Value))).ToList();
        return new PdfStructure(pageCount, pageObjects, contents, strings);
    }

    private static string Unescape(string s)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') { bytes.Add((byte)s[i]); continue; }
            i++;
            if (char.IsAsciiDigit(s[i])) { bytes.Add(Convert.ToByte(s.Substring(i, 3), 8)); i += 2; }
            else bytes.Add((byte)s[i]);
        }
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252).GetString(bytes.ToArray());
    }
}
