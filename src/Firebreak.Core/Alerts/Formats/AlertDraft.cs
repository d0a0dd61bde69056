using System.Net;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// The mutable alert a mapper fills while it walks a payload. Lists stay small (a handful of
/// entries), so de-duplication is a linear scan rather than a hash set per alert.
/// </summary>
internal sealed class AlertDraft
{
    private readonly List<string> _techniques = [];
    private readonly List<string> _resources = [];
    private readonly List<AlertEntity> _principals = [];
    private readonly List<AlertEntity> _observables = [];

    public string? Source { get; set; }
    public string? SourceReference { get; set; }
    public string? Title { get; set; }
    public string? Description { get; set; }
    public AlertSeverity Severity { get; set; } = AlertSeverity.Medium;
    public string? OriginalSeverity { get; set; }
    public DateTimeOffset? DetectedAt { get; set; }
    public DateTimeOffset? FirstSeenAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
    public string? Category { get; set; }
    public string? Provider { get; set; }
    public string? Account { get; set; }
    public string? Region { get; set; }

    public IReadOnlyList<string> Resources => _resources;

    /// <summary>Adds an ATT&amp;CK id (T1234 or T1234.567); anything else is not a technique id and is left out.</summary>
    public void AddTechnique(string? id)
    {
        if (id is null)
        {
            return;
        }
        var trimmed = id.Trim();
        if (!IsTechniqueId(trimmed))
        {
            return;
        }
        var normalised = char.IsUpper(trimmed[0]) ? trimmed : "T" + trimmed[1..];
        AddUnique(_techniques, normalised);
    }

    public static bool IsTechniqueId(ReadOnlySpan<char> id)
    {
        if (id.Length is not (5 or 9) || (id[0] != 'T' && id[0] != 't'))
        {
            return false;
        }
        for (var i = 1; i < 5; i++)
        {
            if (!char.IsAsciiDigit(id[i]))
            {
                return false;
            }
        }
        if (id.Length == 9)
        {
            return id[5] == '.' && char.IsAsciiDigit(id[6]) && char.IsAsciiDigit(id[7]) && char.IsAsciiDigit(id[8]);
        }
        return true;
    }

    public void AddResource(string? resource)
    {
        if (!string.IsNullOrWhiteSpace(resource))
        {
            AddUnique(_resources, resource.Trim());
        }
    }

    public void AddPrincipal(string type, string? value) => AddEntity(_principals, type, value);

    public void AddObservable(string type, string? value)
    {
        if (type == ObservableTypes.Ip)
        {
            AddIp(value);
            return;
        }
        AddEntity(_observables, type, value);
    }

    /// <summary>Only real addresses become ip observables; vendors put "unknown" or host names in ip fields.</summary>
    public void AddIp(string? value)
    {
        if (value is null)
        {
            return;
        }
        var trimmed = value.Trim();
        if (IPAddress.TryParse(trimmed, out _))
        {
            AddEntity(_observables, ObservableTypes.Ip, trimmed);
        }
    }

    private static void AddEntity(List<AlertEntity> list, string type, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        var trimmed = value.Trim();
        foreach (var existing in list)
        {
            if (existing.Type == type && string.Equals(existing.Value, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }
        list.Add(new AlertEntity(type, trimmed));
    }

    private static void AddUnique(List<string> list, string value)
    {
        foreach (var existing in list)
        {
            if (string.Equals(existing, value, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
        }
        list.Add(value);
    }

    public IncomingAlert Build(string format, string rawPayload, string path)
    {
        if (string.IsNullOrWhiteSpace(Source))
        {
            throw new AlertFormatException("The alert has no source.", path);
        }
        if (string.IsNullOrWhiteSpace(Title))
        {
            throw new AlertFormatException("The alert has no title.", path);
        }

        return new IncomingAlert
        {
            Source = Source,
            SourceReference = SourceReference,
            Title = Title,
            Description = Description,
            Severity = Severity,
            OriginalSeverity = OriginalSeverity,
            DetectedAt = DetectedAt,
            FirstSeenAt = FirstSeenAt,
            LastSeenAt = LastSeenAt,
            Category = Category,
            Techniques = _techniques.ToArray(),
            Provider = Provider,
            Account = Account,
            Region = Region,
            Resources = _resources.ToArray(),
            Principals = _principals.ToArray(),
            Observables = _observables.ToArray(),
            RawPayload = rawPayload,
            Format = format,
        };
    }
}
