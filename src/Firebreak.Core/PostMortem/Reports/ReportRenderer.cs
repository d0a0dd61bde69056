using System.Text;
using Firebreak.Core.PostMortem.Reports.Pdf;

namespace Firebreak.Core.PostMortem.Reports;

public static class ReportRenderer
{
    /// <summary>The document in the format, as the bytes of the file (UTF-8 for the text formats).</summary>
    public static byte[] Render(ReportDocument document, ReportFormat format, DateTimeOffset createdAt) =>
        format == ReportFormat.Pdf ? PdfReportRenderer.Render(document, createdAt) : Encoding.UTF8.GetBytes(RenderText(document, format));

    /// <summary>The document in a text format: html, markdown, or plain text for any other.</summary>
    public static string RenderText(ReportDocument document, ReportFormat format) => format switch
    {
        ReportFormat.Html => HtmlReportRenderer.Render(document),
        ReportFormat.Markdown => MarkdownReportRenderer.Render(document),
        _ => TextReportRenderer.Render(document),
    };
}
