using System.Text;
using Firebreak.Core.PostMortem.Reports.Pdf;

namespace Firebreak.Core.PostMortem.Reports;

public static class ReportRenderer
{
    /// <summary>The document in the format, as the bytes of the file (UTF-8 for the text formats).</summary>
    public static byte[] Render(ReportDocument document, ReportFormat format, DateTimeOffset createdAt) => format switch
    {
        ReportFormat.Pdf => PdfReportRenderer.Render(document, createdAt),
        ReportFormat.Html => Encoding.UTF8.GetBytes(HtmlReportRenderer.Render(document)),
        ReportFormat.Markdown => Encoding.UTF8.GetBytes(MarkdownReportRenderer.Render(document)),
        _ => Encoding.UTF8.GetBytes(TextReportRenderer.Render(document)),
    };
}
