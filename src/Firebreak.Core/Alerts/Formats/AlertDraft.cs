using System.Net;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// The mutable alert a mapper fills while it walks a payload. Lists are usually a handful of entries,
/// de-duplicated by a linear scan; a payload may send thousands, so a longer list switches to a set.
/// </summary>
internal sealed class AlertDraft
{
    private readonly UniqueList<string> _techniques = new(StringComparer.OrdinalIgnoreCase);
    private readonly UniqueList<string> _resources = new(StringComparer.OrdinalIgnoreCase);
    private readonly UniqueList<AlertEntity> _principals = new(EntityComparer.Instance);
    private readonly UniqueList<AlertEntity> _observables = new(EntityComparer.Instance);

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

    public IReadOnlyList<string> Resources => _resources.Items;

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
        _techniques.Add(normalised);
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
            _resources.Add(resource.Trim());
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
            _observables.Add(new AlertEntity(ObservableTypes.Ip, trimmed));
        }
    }

    private static void AddEntity(UniqueList<AlertEntity> list, string type, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            list.Add(new AlertEntity(type, value.Trim()));
        }
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
            Techniques = _techniques.Items.ToArray(),
            Provider = Provider,
            Account = Account,
            Region = Region,
            Resources = _resources.Items.ToArray(),
            Principals = _principals.Items.ToArray(),
            Observables = _observables.Items.ToArray(),
            RawPayload = rawPayload,
            Format = format,
        };
    }

    /// <summary>Keeps the first of equal items, in order: a linear scan while short, a set once longer.</summary>
    private sealed class UniqueList<T>(IEqualityComparer<T> comparer)
    {
        private const int ScanLimit = 16;
        private readonly List<T> _items = [];
        private HashSet<T>? _set;

        public IReadOnlyList<T> Items => _items;

        public void Add(T item)
        {
            if (_set is not null)
            {
                if (_set.Add(item))
                {
                    _items.Add(item);
                }
                return;
            }
            foreach (var existing in _items)
            {
                if (comparer.Equals(existing, item))
                {
                    return;
                }
            }
            _items.Add(item);
            if (_items.Count > ScanLimit)
            {
                _set = new HashSet<T>(_items, comparer);
            }
        }
    }

    /// <summary>The same type, and the same value ignoring case.</summary>
    private sealed class EntityComparer : IEqualityComparer<AlertEntity>
    {
        public static readonly EntityComparer Instance = new();

        public bool Equals(AlertEntity? x, AlertEntity? y) =>
            x is not null && y is not null && x.Type == y.Type && string.Equals(x.Value, y.Value, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(AlertEntity obj) =>
            HashCode.Combine(StringComparer.Ordinal.GetHashCode(obj.Type), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Value));
    }
}
