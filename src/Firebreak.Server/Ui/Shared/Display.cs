using System.Globalization;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Server.Api;
using TaskStatus = Firebreak.Core.Incidents.TaskStatus;

namespace Firebreak.Server.Ui.Shared;

/// <summary>How enums, people and times read on screen, identical on every page.</summary>
internal static class Display
{
    public static string Label(this Severity severity) => EnumText.Name(severity);

    public static string Label(this Tlp tlp) => "TLP:" + EnumText.Name(tlp).ToUpperInvariant();

    public static string Label(this Pap pap) => "PAP:" + EnumText.Name(pap).ToUpperInvariant();

    public static string Label(this IncidentCategory category) => category switch
    {
        IncidentCategory.CompromisedCredentials => "Compromised credentials",
        IncidentCategory.CompromisedWorkload => "Compromised workload",
        IncidentCategory.DataExposure => "Data exposure",
        IncidentCategory.DenialOfService => "Denial of service",
        _ => category.ToString(),
    };

    public static string Label(this IncidentStatus status) => status switch
    {
        IncidentStatus.OnHold => "On hold",
        IncidentStatus.Duplicate => "Duplicate",
        IncidentStatus.FalsePositive => "False positive",
        _ => "Open",
    };

    public static string Label(this TaskStatus status) => status switch
    {
        TaskStatus.InProgress => "In progress",
        TaskStatus.Todo => "To do",
        _ => status.ToString(),
    };

    public static string Label(this Role role) => role.Name();

    public static string Label(this UserRef? user) => user is null ? "Unassigned" : user.DisplayName;

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? at) => at is { } v ? Time(v) : "—";

    /// <summary>The CSS modifier for a severity badge: colour carries urgency at a glance.</summary>
    public static string SeverityClass(Severity severity) => "sev sev" + (int)severity;

    /// <summary>Splits a comma- or newline-separated field into trimmed, non-empty items.</summary>
    public static List<string> Items(string? text) =>
        (text ?? "").Split([',', '\n'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}
