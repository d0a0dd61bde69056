using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Scope;

[JsonConverter(typeof(StrictEnumConverter<ScopeEntityKind>))]
public enum ScopeEntityKind
{
    [JsonStringEnumMemberName("principal")] Principal = 0,
    [JsonStringEnumMemberName("access-key")] AccessKey = 1,
    [JsonStringEnumMemberName("resource")] Resource = 2,
    [JsonStringEnumMemberName("source-ip")] SourceIp = 3,
    [JsonStringEnumMemberName("user-agent")] UserAgent = 4,
    [JsonStringEnumMemberName("account")] Account = 5,
    [JsonStringEnumMemberName("region")] Region = 6,
}

/// <summary>How one entity relates to another in the graph.</summary>
[JsonConverter(typeof(StrictEnumConverter<ScopeRelation>))]
public enum ScopeRelation
{
    /// <summary>A principal signed requests with the key (seen in its events).</summary>
    [JsonStringEnumMemberName("used-key")] UsedKey = 0,

    /// <summary>A caller assumed a role and got this session (STS AssumeRole).</summary>
    [JsonStringEnumMemberName("assumed")] Assumed = 1,

    /// <summary>A session belongs to this role (CloudTrail sessionIssuer, STS roleArn).</summary>
    [JsonStringEnumMemberName("session-of")] SessionOf = 2,

    /// <summary>Temporary credentials issued to the target (STS credentials.accessKeyId).</summary>
    [JsonStringEnumMemberName("issued-key")] IssuedKey = 3,

    /// <summary>An outside identity federated into a session (SAML, web identity, GetFederationToken).</summary>
    [JsonStringEnumMemberName("federated")] Federated = 4,

    /// <summary>The caller created the identity or key, or gave it a password.</summary>
    [JsonStringEnumMemberName("created")] Created = 5,

    /// <summary>The caller acted as a service account (GCP delegation chain, GenerateAccessToken).</summary>
    [JsonStringEnumMemberName("impersonated")] Impersonated = 6,
}

/// <summary>Why an identity counts as attacker-controlled.</summary>
[JsonConverter(typeof(StrictEnumConverter<ControlReason>))]
public enum ControlReason
{
    /// <summary>Named by an alert escalated into the incident.</summary>
    [JsonStringEnumMemberName("escalated")] Escalated = 0,

    /// <summary>A responder marked it compromised.</summary>
    [JsonStringEnumMemberName("marked")] Marked = 1,

    /// <summary>Assumed, issued, created or impersonated by a controlled identity.</summary>
    [JsonStringEnumMemberName("derived")] Derived = 2,

    /// <summary>Used to obtain a controlled credential: the chain back to where it started.</summary>
    [JsonStringEnumMemberName("origin")] Origin = 3,

    /// <summary>The identity a controlled key signs as.</summary>
    [JsonStringEnumMemberName("signed-as")] SignedAs = 4,
}

/// <summary>A principal (user, role, session, service account...) or an access key.</summary>
public sealed record ScopeIdentity(string Id, ScopeEntityKind Kind, string Value, string Type, string? Provider, string? Account,
    DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen, long Events, bool Controlled, ControlReason? Control, string? ControlledVia, string Pivot);

public sealed record ScopeEdge(string From, string To, ScopeRelation Relation, long Events, DateTimeOffset? FirstSeen, string? EventId);

/// <summary>A resource with what was done to it, by access kind; failed calls touched nothing and are counted apart.</summary>
public sealed record ScopeResource(string Value, long Read, long Modified, long Created, long Deleted, long Failed,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen, IReadOnlyList<AccessKind> Access, string Pivot);

/// <summary>A source IP, user agent, account or region with its events.</summary>
public sealed record ScopeValue(string Value, long Events, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string Pivot);

/// <summary>A suggested containment step, with the response action that does it when the catalogue has one.</summary>
public sealed record ContainmentTarget(string Entity, string? ActionId, string Title, string Resource, IReadOnlyDictionary<string, string> Inputs, string Why);

public sealed record BlastCounts(int Identities, int Resources, int Read, int Modified, int Created, int Deleted, int SourceIps, int UserAgents, int Accounts, int Regions);

/// <summary>What the attacker-controlled identities did: every identity, resource, address, agent, account and region, with first and last seen.</summary>
public sealed record BlastRadius(long Events, BlastCounts Counts, IReadOnlyList<ScopeIdentity> Identities, IReadOnlyList<ScopeResource> Resources,
    IReadOnlyList<ScopeValue> SourceIps, IReadOnlyList<ScopeValue> UserAgents, IReadOnlyList<ScopeValue> Accounts, IReadOnlyList<ScopeValue> Regions,
    IReadOnlyList<ScopeEdge> Edges, IReadOnlyList<ContainmentTarget> Containment);

/// <summary>The first event a credential signed.</summary>
public sealed record FirstUse(long Id, string EventId, DateTimeOffset Time, string Operation, string? Principal, string? AccessKeyId, string? SourceIp, string? UserAgent);

/// <summary>The earliest attacker-controlled credential at the start of its chain, how it was first used, and what it led to.</summary>
public sealed record PatientZero(string Id, ScopeEntityKind Kind, string Value, string Type, FirstUse? FirstUse, IReadOnlyList<ScopeEdge> Chain);

public sealed record ScopeMarkView(Guid Id, ScopeMarkKind Kind, string Value, string Reason, string MarkedBy, DateTimeOffset MarkedAt,
    string? UnmarkedBy, DateTimeOffset? UnmarkedAt, string? UnmarkReason, bool Active, long Version);

public sealed record MarkCompromised(ScopeMarkKind Kind, string Value, string Reason);

public sealed record UnmarkCompromised(string Reason);

/// <summary>The incident's entity graph, blast radius and patient zero, computed from its stored events.</summary>
public sealed record ScopeView(string Incident, long Events, DateTimeOffset? From, DateTimeOffset? To,
    IReadOnlyList<ScopeIdentity> Identities, IReadOnlyList<ScopeEdge> Edges, IReadOnlyList<ScopeResource> Resources,
    IReadOnlyList<ScopeValue> SourceIps, IReadOnlyList<ScopeValue> UserAgents, IReadOnlyList<ScopeValue> Accounts, IReadOnlyList<ScopeValue> Regions,
    BlastRadius BlastRadius, PatientZero? PatientZero, IReadOnlyList<ScopeMarkView> Marks, IReadOnlyList<string> Truncated);
