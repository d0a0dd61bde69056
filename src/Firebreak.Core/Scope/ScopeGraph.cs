namespace Firebreak.Core.Scope;

/// <summary>An identity or key in the graph, with what the events and the control propagation say of it.</summary>
internal sealed class Node(ScopeEntityKind kind, string value, string type)
{
    public string Id { get; } = (kind == ScopeEntityKind.AccessKey ? "access-key:" : "principal:") + value;
    public ScopeEntityKind Kind { get; } = kind;
    public string Value { get; } = value;
    public string Type { get; set; } = type;
    public string? Provider { get; set; }
    public string? Account { get; set; }
    public DateTimeOffset? FirstSeen { get; set; }
    public DateTimeOffset? LastSeen { get; set; }
    public long Events { get; set; }
    public bool Controlled { get; set; }

    /// <summary>Every event of the identity is the attacker's (as opposed to a user whose one key was stolen).</summary>
    public bool Full { get; set; }
    public ControlReason? Reason { get; set; }
    public Node? Via { get; set; }
    public List<Link> Out { get; } = [];
    public List<Link> In { get; } = [];

    public void Seen(DateTimeOffset first, DateTimeOffset last)
    {
        if (FirstSeen is null || first < FirstSeen) FirstSeen = first;
        if (LastSeen is null || last > LastSeen) LastSeen = last;
    }
}

internal sealed class Link(Node from, Node to, ScopeRelation relation)
{
    public Node From { get; } = from;
    public Node To { get; } = to;
    public ScopeRelation Relation { get; } = relation;
    public long Events { get; set; }
    public DateTimeOffset? First { get; set; }
    public string? EventId { get; set; }

    /// <summary>Relations along which control flows from the caller to what it obtained.</summary>
    public bool Carries => Relation is ScopeRelation.Assumed or ScopeRelation.Federated or ScopeRelation.IssuedKey or ScopeRelation.Created or ScopeRelation.Impersonated;
}

/// <summary>
/// The identity graph and the control propagation over it. Control enters at seeds (escalated
/// principals, marks), goes back along the chain that produced a seed (the credentials used to get
/// it, up to where the chain started), and forward to everything a controlled identity assumed, was
/// issued, created or impersonated. A key that is controlled makes its owner "signed-as": that
/// owner's keyless events count, its other keys do not.
/// </summary>
internal sealed class Graph
{
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string, ScopeRelation), Link> _links = [];
    private readonly List<Node> _seeds = [];

    public IEnumerable<Node> Nodes => _nodes.Values;
    public IEnumerable<Link> Edges => _links.Values.OrderBy(l => l.First ?? DateTimeOffset.MaxValue).ThenBy(l => l.From.Id, StringComparer.Ordinal).ThenBy(l => l.To.Id, StringComparer.Ordinal);

    public bool IsControlled(string id) => _nodes.TryGetValue(id, out var n) && n.Controlled;

    public void AddUsage(ScopeService.IdentityRow row)
    {
        Node? principal = null;
        if (row.Principal is { } p)
        {
            principal = Get(ScopeEntityKind.Principal, p, TypeOf(row.PrincipalType, p, row.Provider));
            principal.Provider ??= row.Provider;
            principal.Account ??= row.Account;
            principal.Events += row.Count;
            principal.Seen(row.First, row.Last);
        }
        if (row.AccessKeyId is { } k)
        {
            var key = Get(ScopeEntityKind.AccessKey, k, row.Provider == "gcp" ? "service-account-key" : "access-key");
            key.Provider ??= row.Provider;
            key.Account ??= row.Account;
            key.Events += row.Count;
            key.Seen(row.First, row.Last);
            if (principal is not null) Connect(principal, key, ScopeRelation.UsedKey, row.Count, row.First, null);
        }
        if (principal is not null && row.SessionIssuer is { } issuer && issuer != principal.Value)
        {
            switch (row.Provider)
            {
                case "gcp":
                    // The first hop of serviceAccountDelegationInfo: the caller who impersonated the account.
                    var caller = Get(ScopeEntityKind.Principal, issuer, issuer.EndsWith(".gserviceaccount.com", StringComparison.OrdinalIgnoreCase) ? "service-account" : "user");
                    caller.Provider ??= row.Provider;
                    Connect(caller, principal, ScopeRelation.Impersonated, row.Count, row.First, null);
                    break;
                case "azure":
                    break; // the token issuer (iss), not an identity
                default:
                    var role = Get(ScopeEntityKind.Principal, issuer, issuer.Contains(":user/", StringComparison.Ordinal) ? "user" : "role");
                    role.Provider ??= row.Provider;
                    role.Account ??= row.Account;
                    role.Seen(row.First, row.Last);
                    Connect(principal, role, ScopeRelation.SessionOf, row.Count, row.First, null);
                    break;
            }
        }
    }

    public void AddLink(ChainLink link)
    {
        var from = Get(link.FromKind, link.From, link.FromKind == ScopeEntityKind.AccessKey ? "access-key" : "unknown");
        var to = Get(link.ToKind, link.To, link.ToType);
        if (to.Type == "unknown") to.Type = link.ToType;
        if (to.FirstSeen is null || link.Time < to.FirstSeen) to.FirstSeen = link.Time;
        if (to.LastSeen is null || link.Time > to.LastSeen) to.LastSeen = link.Time;
        Connect(from, to, link.Relation, 1, link.Time, link.EventId);
    }

    /// <summary>Marks the identity an escalated artifact or a responder names, when the events know it.</summary>
    public void Seed(string type, string value, ControlReason reason)
    {
        value = value.Trim();
        var byKey = type.Contains("key", StringComparison.OrdinalIgnoreCase);
        var node = Find(byKey ? ScopeEntityKind.AccessKey : ScopeEntityKind.Principal, value)
            ?? Find(byKey ? ScopeEntityKind.Principal : ScopeEntityKind.AccessKey, value)
            // An alert may name an IAM user by name only.
            ?? (value.Contains(':', StringComparison.Ordinal) || value.Contains('/', StringComparison.Ordinal) ? null
                : _nodes.Values.FirstOrDefault(n => n.Kind == ScopeEntityKind.Principal && n.Type == "user" && n.Value.EndsWith(":user/" + value, StringComparison.Ordinal)));
        if (node is null || node.Type == "service") return;
        if (!node.Controlled || !node.Full || node.Reason is ControlReason.Derived or ControlReason.Origin or ControlReason.SignedAs)
        {
            node.Controlled = true;
            node.Full = true;
            node.Reason = reason;
            node.Via = null;
        }
        _seeds.Add(node);
    }

    public void Propagate()
    {
        var work = new Queue<Node>(_seeds);
        while (work.TryDequeue(out var node))
        {
            if (node.Reason is ControlReason.Escalated or ControlReason.Marked or ControlReason.Origin or ControlReason.SignedAs)
            {
                foreach (var link in node.In.Where(l => l.Carries)) Control(link.From, ControlReason.Origin, node, link.From.Kind == ScopeEntityKind.AccessKey, work);
                foreach (var link in node.In.Where(l => l.Relation == ScopeRelation.UsedKey)) Control(link.From, ControlReason.SignedAs, node, false, work);
            }
            foreach (var link in node.Out.Where(l => l.Carries)) Control(link.To, ControlReason.Derived, node, true, work);
            if (node.Full)
            {
                foreach (var link in node.Out.Where(l => l.Relation == ScopeRelation.UsedKey)) Control(link.To, ControlReason.Derived, node, true, work);
                // A controlled role: every session of it acts for the attacker.
                foreach (var link in node.In.Where(l => l.Relation == ScopeRelation.SessionOf)) Control(link.From, ControlReason.Derived, node, true, work);
            }
        }
    }

    private static void Control(Node node, ControlReason reason, Node via, bool full, Queue<Node> work)
    {
        if (node.Type is "service" or "account") return;
        if (node.Controlled && (node.Full || !full)) return;
        if (!node.Controlled)
        {
            node.Reason = reason;
            node.Via = via;
        }
        else if (node.Reason == ControlReason.SignedAs)
        {
            node.Reason = reason;
            node.Via = via;
        }
        node.Controlled = true;
        node.Full |= full;
        work.Enqueue(node);
    }

    /// <summary>The SQL filter of the attacker's events: their keys, the identities all of whose events count, and those whose keyless events count.</summary>
    public (List<string> Keys, List<string> Principals) AttackerFilter()
    {
        var keys = _nodes.Values.Where(n => n.Controlled && n.Kind == ScopeEntityKind.AccessKey).Select(n => n.Value).Order(StringComparer.Ordinal).ToList();
        // Signed-as owners count only for events without a key; a principal whose events all carry keys adds nothing then.
        var principals = _nodes.Values.Where(n => n.Controlled && n.Kind == ScopeEntityKind.Principal && (n.Full || !n.Out.Any(l => l.Relation == ScopeRelation.UsedKey)))
            .Select(n => n.Value).Order(StringComparer.Ordinal).ToList();
        return (keys, principals);
    }

    /// <summary>The controlled credential at the start of its chain that was seen first.</summary>
    public Node? PatientZero()
    {
        var controlled = _nodes.Values.Where(n => n.Controlled).ToList();
        var roots = controlled.Where(n => n.Reason != ControlReason.SignedAs && !n.In.Any(l => l.Carries && l.From.Controlled)).ToList();
        var candidates = roots.Count > 0 ? roots : controlled.Where(n => n.Reason != ControlReason.SignedAs).ToList();
        return candidates.OrderBy(n => n.FirstSeen ?? DateTimeOffset.MaxValue).ThenBy(n => n.Kind == ScopeEntityKind.AccessKey ? 0 : 1).ThenBy(n => n.Id, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>What a controlled credential led to, breadth first.</summary>
    public IEnumerable<Link> ChainFrom(Node start)
    {
        var seen = new HashSet<Node> { start };
        var queue = new Queue<Node>([start]);
        while (queue.TryDequeue(out var node))
        {
            foreach (var link in node.Out.Where(l => (l.Carries || (l.Relation == ScopeRelation.UsedKey && node.Full)) && l.To.Controlled).OrderBy(l => l.First ?? DateTimeOffset.MaxValue))
            {
                if (!seen.Add(link.To)) continue;
                yield return link;
                queue.Enqueue(link.To);
            }
        }
    }

    private Node? Find(ScopeEntityKind kind, string value) => _nodes.GetValueOrDefault(Key(kind, value));

    private Node Get(ScopeEntityKind kind, string value, string type)
    {
        var key = Key(kind, value);
        if (!_nodes.TryGetValue(key, out var node))
        {
            _nodes[key] = node = new Node(kind, value, type);
        }
        else if (node.Type == "unknown" && type != "unknown")
        {
            node.Type = type;
        }
        return node;
    }

    private void Connect(Node from, Node to, ScopeRelation relation, long events, DateTimeOffset first, string? eventId)
    {
        if (!_links.TryGetValue((from.Id, to.Id, relation), out var link))
        {
            _links[(from.Id, to.Id, relation)] = link = new Link(from, to, relation);
            from.Out.Add(link);
            to.In.Add(link);
        }
        link.Events += events;
        if (link.First is null || first < link.First)
        {
            link.First = first;
            link.EventId = eventId ?? link.EventId;
        }
    }

    private static string Key(ScopeEntityKind kind, string value) => (kind == ScopeEntityKind.AccessKey ? "access-key:" : "principal:") + value;

    internal static string TypeOf(string? principalType, string value, string provider) => principalType switch
    {
        "IAMUser" => "user",
        "AssumedRole" => "session",
        "FederatedUser" => "federated",
        "Root" => "root",
        "AWSService" => "service",
        "AWSAccount" => "account",
        "SAMLUser" or "WebIdentityUser" => "idp-user",
        "ServiceAccount" => "service-account",
        "ServicePrincipal" or "ManagedIdentity" => "service-principal",
        "User" => "user",
        "GoogleService" => "service",
        "Anonymous" => "anonymous",
        "WorkloadIdentity" => "federated",
        _ when value.Contains(":assumed-role/", StringComparison.Ordinal) => "session",
        _ when value.Contains(":role/", StringComparison.Ordinal) => "role",
        _ when value.EndsWith(".gserviceaccount.com", StringComparison.OrdinalIgnoreCase) => "service-account",
        _ when provider == "aws" && value.EndsWith(".amazonaws.com", StringComparison.Ordinal) => "service",
        _ => "unknown",
    };
}
