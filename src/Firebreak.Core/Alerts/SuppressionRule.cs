using System.Net;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Hides matching alerts from the queue when they arrive. Suppressed alerts are stored and counted like
/// any other, never dropped; the rule needs a reason, may expire, and every change to it is audited.
/// </summary>
public sealed class SuppressionRule : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public SuppressionField Field { get; set; }
    public MatchOperator Operator { get; set; }
    public required string Value { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public bool Enabled { get; set; } = true;
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }

    public bool IsActive(DateTimeOffset now) => Enabled && (ExpiresAt is null || ExpiresAt > now);
}

[JsonConverter(typeof(StrictEnumConverter<SuppressionField>))]
public enum SuppressionField
{
    [JsonStringEnumMemberName("source")] Source,
    [JsonStringEnumMemberName("title")] Title,
    [JsonStringEnumMemberName("category")] Category,
    [JsonStringEnumMemberName("severity")] Severity,
    [JsonStringEnumMemberName("provider")] Provider,
    [JsonStringEnumMemberName("account")] Account,
    [JsonStringEnumMemberName("region")] Region,
    [JsonStringEnumMemberName("resource")] Resource,
    [JsonStringEnumMemberName("principal")] Principal,
    [JsonStringEnumMemberName("observable")] Observable,
    [JsonStringEnumMemberName("technique")] Technique,
    [JsonStringEnumMemberName("source-reference")] SourceReference,
}

[JsonConverter(typeof(StrictEnumConverter<MatchOperator>))]
public enum MatchOperator
{
    /// <summary>Equal, ignoring case.</summary>
    [JsonStringEnumMemberName("exact")] Exact,

    /// <summary>* for any run of characters, ? for one; ignoring case.</summary>
    [JsonStringEnumMemberName("wildcard")] Wildcard,

    /// <summary>An IP address inside the network (for IP observables and principals).</summary>
    [JsonStringEnumMemberName("cidr")] Cidr,
}

/// <summary>A rule compiled once into a predicate over an incoming alert.</summary>
public sealed class SuppressionMatcher
{
    private readonly Func<string?, bool> _test;
    private readonly SuppressionField _field;

    public SuppressionMatcher(SuppressionRule rule)
    {
        Rule = rule;
        _field = rule.Field;
        _test = Compile(rule.Operator, rule.Value);
    }

    public SuppressionRule Rule { get; }

    public bool Matches(IncomingAlert alert) => _field switch
    {
        SuppressionField.Source => _test(alert.Source),
        SuppressionField.Title => _test(alert.Title),
        SuppressionField.Category => _test(alert.Category),
        SuppressionField.Severity => _test(Enum.GetName(alert.Severity)),
        SuppressionField.Provider => _test(alert.Provider),
        SuppressionField.Account => _test(alert.Account),
        SuppressionField.Region => _test(alert.Region),
        SuppressionField.SourceReference => _test(alert.SourceReference),
        SuppressionField.Resource => alert.Resources.Any(_test),
        SuppressionField.Principal => alert.Principals.Any(p => _test(p.Value)),
        SuppressionField.Observable => alert.Observables.Any(o => _test(o.Value)),
        SuppressionField.Technique => alert.Techniques.Any(_test),
        _ => false,
    };

    /// <summary>Throws a field error when the value cannot be used with the operator.</summary>
    public static Func<string?, bool> Compile(MatchOperator op, string value)
    {
        switch (op)
        {
            case MatchOperator.Exact:
                return v => v is not null && string.Equals(v.Trim(), value.Trim(), StringComparison.OrdinalIgnoreCase);
            case MatchOperator.Wildcard:
                var pattern = "^" + Regex.Escape(value.Trim()).Replace("\\*", ".*").Replace("\\?", ".") + "$";
                var regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(50));
                return v => v is not null && regex.IsMatch(v);
            case MatchOperator.Cidr:
                if (!IPNetwork.TryParse(value.Trim(), out var network))
                    throw new ValidationFailedException("value", "value must be a network such as 203.0.113.0/24 for the cidr operator.");
                return v => v is not null && IPAddress.TryParse(v.Trim(), out var ip) && network.Contains(ip);
            default:
                throw new ValidationFailedException("operator", "operator must be exact, wildcard or cidr.");
        }
    }
}
