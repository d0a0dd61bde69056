using System.Globalization;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// How each vendor's severity lands on Firebreak's five levels. Values a scale does not define
/// (OCSF Unknown/Other, SCC SEVERITY_UNSPECIFIED, CEF Unknown) return null and the alert keeps
/// the model's default of medium, with the original text preserved.
/// </summary>
public static class SeverityScales
{
    /// <summary>OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal.</summary>
    public static AlertSeverity? FromOcsfId(int id) => id switch
    {
        1 => AlertSeverity.Informational,
        2 => AlertSeverity.Low,
        3 => AlertSeverity.Medium,
        4 => AlertSeverity.High,
        5 or 6 => AlertSeverity.Critical,
        _ => null,
    };

    /// <summary>Security Hub Severity.Normalized: 0 informational, 1–39 low, 40–69 medium, 70–89 high, 90–100 critical.</summary>
    public static AlertSeverity? FromAsffNormalized(double normalized) => normalized switch
    {
        < 0 or > 100 => null,
        < 1 => AlertSeverity.Informational,
        < 40 => AlertSeverity.Low,
        < 70 => AlertSeverity.Medium,
        < 90 => AlertSeverity.High,
        _ => AlertSeverity.Critical,
    };

    /// <summary>GuardDuty's numeric severity: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical.</summary>
    public static AlertSeverity? FromGuardDuty(double severity) => severity switch
    {
        < 0 or > 10 => null,
        < 4 => AlertSeverity.Low,
        < 7 => AlertSeverity.Medium,
        < 9 => AlertSeverity.High,
        _ => AlertSeverity.Critical,
    };

    /// <summary>CEF: 0–3 low, 4–6 medium, 7–8 high, 9–10 very high; or the words Low, Medium, High, Very-High.</summary>
    public static AlertSeverity? FromCef(string severity)
    {
        if (int.TryParse(severity, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number switch
            {
                <= 3 => AlertSeverity.Low,
                <= 6 => AlertSeverity.Medium,
                <= 8 => AlertSeverity.High,
                <= 10 => AlertSeverity.Critical,
                _ => null,
            };
        }
        return FromWord(severity);
    }

    /// <summary>
    /// The word scales (Security Hub Label, Defender, Sentinel, SCC, CEF words), case-insensitive.
    /// </summary>
    public static AlertSeverity? FromWord(string? word) => word?.Trim().ToUpperInvariant() switch
    {
        "INFORMATIONAL" or "INFORMATION" or "INFO" => AlertSeverity.Informational,
        "LOW" => AlertSeverity.Low,
        "MEDIUM" => AlertSeverity.Medium,
        "HIGH" => AlertSeverity.High,
        "CRITICAL" or "VERY-HIGH" or "VERY HIGH" => AlertSeverity.Critical,
        _ => null,
    };
}
