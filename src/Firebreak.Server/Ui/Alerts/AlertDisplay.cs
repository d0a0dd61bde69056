using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Server.Api;

namespace Firebreak.Server.Ui.Alerts;

/// <summary>How alert states and severities read on the alert pages, the same everywhere.</summary>
internal static class AlertDisplay
{
    public static string Label(this AlertSeverity severity) => severity switch
    {
        AlertSeverity.Informational => "Info",
        _ => severity.ToString(),
    };

    public static string Label(this TriageState state) => state switch
    {
        TriageState.FalsePositive => "False positive",
        TriageState.BenignTruePositive => "Benign true positive",
        _ => state.ToString(),
    };

    public static string Label(this SuppressionField field) => EnumText.Name(field);

    public static string Label(this MatchOperator op) => EnumText.Name(op);

    public static string SeverityClass(AlertSeverity severity) => "sev asev" + (int)severity;

    public static string StateClass(TriageState state) => "badge tstate-" + EnumText.Name(state);

    /// <summary>Indented when the payload is JSON; verbatim otherwise (CEF lines, or JSON the tool sent broken).</summary>
    public static string Pretty(string raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return raw;
        }
    }

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Kept as the tool wrote it; Razor encodes the text when it is rendered, so nothing here is markup.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
