using System.Globalization;
using System.Text.Json;
using Firebreak.Core.Assets;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.PostMortem;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.DataLoss;

/// <summary>
/// The data-loss extent of an incident: for each resource its events reached, what was read or exposed,
/// by whom, how much, for how long and how sure the figures are, with the resource's classification and
/// the notification clocks its data starts. Computed from the stored events on demand and recorded.
/// </summary>
public sealed class DataLossService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, DataLossOptions options, DataGapService gaps)
{
    /// <summary>Recorded assessments per incident.</summary>
    public const int MaxPerIncident = 1_000;

    private const int MaxAccessorRows = 20_000;
    private const int MaxSecretRows = 20_000;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Computes the extent now and records it on the incident; gaps in the logs become data gaps (once each).</summary>
    public async Task<DataLossView> AssessAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "assess the data-loss extent");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (await db.DataLossExtents.CountAsync(x => x.IncidentId == incident.Id, cancellationToken) >= MaxPerIncident)
            throw new ConflictException($"An incident keeps at most {MaxPerIncident} data-loss assessments.");
        var now = time.GetUtcNow();
        var assets = new AssetMatcher(await AssetService.ListAsync(db, cancellationToken));
        var (resources, eventsMatched, truncated, logged) = await ComputeAsync(db, incident.Id, assets, cancellationToken);

        var found = FindGaps(resources, logged);
        var previous = await db.DataLossExtents.AsNoTracking().Where(x => x.IncidentId == incident.Id).OrderBy(x => x.AssessedAt)
            .Select(x => x.Clocks).ToListAsync(cancellationToken);
        var clocks = Clocks(resources, previous, now);
        var result = new DataLossResult(resources, found, clocks, truncated);
        var extent = new DataLossExtent
        {
            IncidentId = incident.Id,
            AssessedAt = now,
            AssessedBy = db.Actor.Name,
            ResourceCount = resources.Count,
            PersonalData = resources.Any(r => r.PersonalData),
            LowerBound = resources.Any(r => r.LowerBound) || truncated,
            EventsMatched = eventsMatched,
            Statement = Statement(resources, truncated),
            Result = JsonSerializer.Serialize(result, Json),
            Clocks = JsonSerializer.Serialize(clocks, Json),
        };
        db.DataLossExtents.Add(extent);
        await db.SaveChangesAsync(cancellationToken);
        await RecordGapsAsync(db, incident, found, extent, cancellationToken);
        return ToView(extent, incident.Reference, result, now);
    }

    /// <summary>The newest recorded assessment.</summary>
    public async Task<DataLossView> GetLatestAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var extent = await LatestAsync(db, incident.Id, cancellationToken)
            ?? throw new NotFoundException("Data-loss assessment", incident.Reference);
        return ToView(extent, incident.Reference, Read(extent), time.GetUtcNow());
    }

    /// <summary>One recorded assessment.</summary>
    public async Task<DataLossView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var extent = await db.DataLossExtents.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id && x.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Data-loss assessment", id.ToString());
        return ToView(extent, incident.Reference, Read(extent), time.GetUtcNow());
    }

    /// <summary>Every recorded assessment, newest first.</summary>
    public async Task<IReadOnlyList<DataLossSummary>> HistoryAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await db.DataLossExtents.AsNoTracking().Where(x => x.IncidentId == incident.Id)
            .OrderByDescending(x => x.AssessedAt).ThenByDescending(x => x.Id)
            .Select(x => new DataLossSummary(x.Id, x.AssessedAt, x.AssessedBy, x.ResourceCount, x.PersonalData, x.LowerBound, x.EventsMatched, x.Statement))
            .ToListAsync(cancellationToken);
    }

    internal static async Task<DataLossExtent?> LatestAsync(FirebreakDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        await db.DataLossExtents.AsNoTracking().Where(x => x.IncidentId == incidentId)
            .OrderByDescending(x => x.AssessedAt).ThenByDescending(x => x.Id).FirstOrDefaultAsync(cancellationToken);

    internal static DataLossResult Read(DataLossExtent extent) =>
        JsonSerializer.Deserialize<DataLossResult>(extent.Result, Json) ?? new DataLossResult([], [], [], false);

    private static DataLossView ToView(DataLossExtent x, string reference, DataLossResult result, DateTimeOffset now) => new(
        x.Id, reference, x.AssessedAt, x.AssessedBy, x.Statement, x.EventsMatched, x.LowerBound, x.PersonalData, result.Truncated,
        result.Resources, result.Gaps,
        result.Clocks.Select(c => new NotificationClockView(c.Regime, c.Authority, c.Hours, c.Start, c.Deadline,
            (long)Math.Floor((c.Deadline - now).TotalSeconds), now > c.Deadline, c.Resources)).ToList());

    /// <summary>Which storage services had their data events logged anywhere in the incident.</summary>
    internal sealed record Logged(bool S3, bool Gcs, bool AzureBlobs);

    private async Task<(List<DataLossResource>, long, bool, Logged)> ComputeAsync(FirebreakDbContext db, Guid incidentId, AssetMatcher assets,
        CancellationToken cancellationToken)
    {
        var queries = new DataLossQueries(db, incidentId);
        var events = db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incidentId);
        var logged = new Logged(
            await events.AnyAsync(e => EF.Constant(DataLossCatalogue.S3DataEvents).Contains(e.Operation), cancellationToken),
            await events.AnyAsync(e => EF.Constant(DataLossCatalogue.GcsDataEvents).Contains(e.Operation), cancellationToken),
            await events.AnyAsync(e => EF.Constant(DataLossCatalogue.AzureBlobEvents).Contains(e.Operation), cancellationToken));

        var all = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        Accumulator At(string key, string provider) => all.TryGetValue(key, out var a) ? a : all[key] = new Accumulator(key, provider);
        var truncated = false;
        long matched = 0;

        foreach (var o in await queries.ObjectsAsync(cancellationToken))
        {
            var a = At(o.Key ?? "(resource not logged)", o.Provider);
            a.Categories.Add(DataLossCategory.ObjectRead);
            a.Events += o.Events;
            a.Reads += o.Reads;
            a.Objects += o.Objects;
            a.Bytes = o.Bytes is { } b ? (a.Bytes ?? 0) + b : a.Bytes;
            a.ReadsWithoutBytes += o.ReadsWithoutBytes;
            a.Lists += o.Events - o.Reads;
            a.See(o.First);
            a.See(o.Last);
            matched += o.Events;
        }
        var accessors = await queries.ObjectAccessorsAsync(MaxAccessorRows + 1, cancellationToken);
        truncated |= accessors.Count > MaxAccessorRows;
        foreach (var r in accessors.Take(MaxAccessorRows))
        {
            if (all.TryGetValue(r.Key ?? "(resource not logged)", out var a)) a.Add(r.Principal, r.AccessKeyId, r.SourceIp, r.Events);
        }

        var secrets = await queries.SecretsAsync(MaxSecretRows + 1, cancellationToken);
        truncated |= secrets.Count > MaxSecretRows;
        foreach (var s in secrets.Take(MaxSecretRows))
        {
            matched += s.Events;
            foreach (var (key, note, exact) in SecretKeys(s))
            {
                var a = At(key, s.Provider);
                a.Categories.Add(DataLossCategory.SecretRead);
                a.Events += s.Events;
                a.Objects = 1;
                a.See(s.First);
                a.See(s.Last);
                a.Add(s.Principal, s.AccessKeyId, s.SourceIp, s.Events);
                if (note is not null) a.Findings.Add(note);
                if (!exact) a.Partial = true;
            }
        }

        var changes = await events.Where(e => EF.Constant(DataLossCatalogue.Changes).Contains(e.Operation) && e.ErrorCode == null && e.Result != Investigation.EventResult.Failure)
            .OrderBy(e => e.Time).ThenBy(e => e.Id).Take(options.MaxChangeEvents + 1)
            .Select(e => new ChangeEvent(e.Time, e.Operation, e.Provider, e.Region, e.Account, e.Resource, e.Principal, e.AccessKeyId, e.SourceIp, e.Raw))
            .ToListAsync(cancellationToken);
        truncated |= changes.Count > options.MaxChangeEvents;
        foreach (var change in changes.Take(options.MaxChangeEvents))
        {
            matched++;
            foreach (var finding in ChangeAnalysis.Analyse(change))
            {
                // A closing change on a resource nothing opened is no part of the extent.
                if (finding.Opens is false && !all.ContainsKey(finding.Resource)) continue;
                var a = At(finding.Resource, change.Provider);
                a.Categories.Add(finding.Category);
                a.Apply(finding, change.Time);
                a.Add(change.Principal, change.AccessKeyId, change.SourceIp, 1);
            }
        }

        var resources = all.Values.Select(a => Build(a, assets, logged)).OrderByDescending(r => r.PersonalData)
            .ThenByDescending(r => r.Classification ?? DataClassification.Internal).ThenBy(r => r.Resource, StringComparer.Ordinal).ToList();
        return (resources, matched, truncated, logged);
    }

    /// <summary>The secrets one grouped row read: named ones exactly; by path or filter only the path or the account (a lower bound).</summary>
    private static IEnumerable<(string Key, string? Note, bool Exact)> SecretKeys(SecretRow s)
    {
        var region = s.Region ?? "";
        var account = s.Account ?? "";
        string Parameter(string name) => name.StartsWith("arn:", StringComparison.Ordinal) ? name
            : $"arn:aws:ssm:{region}:{account}:parameter{(name.StartsWith('/') ? name : "/" + name)}";
        string Secret(string id) => id.StartsWith("arn:", StringComparison.Ordinal) ? id : $"arn:aws:secretsmanager:{region}:{account}:secret:{id}";
        switch (s.Operation)
        {
            case "GetSecretValue" when s.SecretId is { } id:
                yield return (Secret(id), null, true);
                break;
            case "BatchGetSecretValue" when JsonList(s.SecretIdList) is { Count: > 0 } ids:
                foreach (var id in ids) yield return (Secret(id), null, true);
                break;
            case "BatchGetSecretValue":
                yield return ($"arn:aws:secretsmanager:{region}:{account}:secret:*", "BatchGetSecretValue by filter: the secrets returned are not logged", false);
                break;
            case "GetParameter" when s.Name is { } name:
                yield return (Parameter(name), null, true);
                break;
            case "GetParameters" when JsonList(s.Names) is { Count: > 0 } names:
                foreach (var name in names) yield return (Parameter(name), null, true);
                break;
            case "GetParametersByPath" when s.Path is { } path:
                yield return (Parameter(path.TrimEnd('/') + "/*"), $"GetParametersByPath {path}: every parameter under the path was readable; the names returned are not logged", false);
                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion" when s.Resource is { } name:
            {
                var versions = name.IndexOf("/versions/", StringComparison.Ordinal);
                yield return (versions > 0 ? name[..versions] : name, null, true);
                break;
            }
            default:
                yield return (s.Resource is { } r ? (s.Provider == "azure" ? r.ToLowerInvariant() : r) : $"({s.Operation}: secret not named in the log)", null, s.Resource is not null);
                break;
        }
    }

    private static List<string>? JsonList(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Distinct().ToList()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsStorage(string key, string provider) => provider switch
    {
        "aws" => key.StartsWith("arn:aws:s3:::", StringComparison.Ordinal),
        "gcp" => key.Contains("/buckets/", StringComparison.Ordinal),
        "azure" => key.Contains("microsoft.storage/storageaccounts", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static bool StorageLogged(string provider, Logged logged) => provider switch
    {
        "aws" => logged.S3,
        "gcp" => logged.Gcs,
        "azure" => logged.AzureBlobs,
        _ => false,
    };

    private DataLossResource Build(Accumulator a, AssetMatcher assets, Logged logged)
    {
        var asset = assets.Match(a.Key);
        var confidence = DataLossConfidence.High;
        var lowerBound = false;
        void Lower(DataLossConfidence c) => confidence = c < confidence ? c : confidence;
        var findings = new List<string>(a.Findings.Distinct());

        if (a.Reads > 0 && a.ReadsWithoutBytes > 0)
        {
            Lower(DataLossConfidence.Medium);
            findings.Add(a.Bytes is null ? "Bytes read are not logged for these reads" : $"{a.ReadsWithoutBytes} reads logged no byte count");
        }
        if (a.Lists > 0) findings.Add($"Listed {a.Lists} times (names only)");
        if (a.Partial)
        {
            Lower(DataLossConfidence.Medium);
            lowerBound = true;
        }
        var exposed = a.Categories.Contains(DataLossCategory.PublicExposure) || a.Mechanisms.Keys.Contains("keys");
        if (exposed)
        {
            if (IsStorage(a.Key, a.Provider) && StorageLogged(a.Provider, logged))
            {
                Lower(DataLossConfidence.Medium);
                if (a.Reads == 0) findings.Add("Data events were logged and show no read of this resource");
            }
            else
            {
                Lower(DataLossConfidence.Low);
                lowerBound = true;
                findings.Add(IsStorage(a.Key, a.Provider)
                    ? "No data events for this storage service anywhere in the incident's logs: reads while exposed are unknown"
                    : "Reads through this exposure are not in the cloud audit logs");
            }
        }
        if (a.Categories.Contains(DataLossCategory.SnapshotShare))
        {
            Lower(DataLossConfidence.Low);
            lowerBound = true;
            findings.Add("What the receiving side copied or restored is logged in its account, not here");
        }
        if (a.Categories.Contains(DataLossCategory.DatabaseExport))
        {
            Lower(DataLossConfidence.Medium);
            lowerBound = true;
            findings.Add("The size of the export is not logged");
        }

        var open = a.Mechanisms.Values.Any(v => v);
        var window = a.Categories.Overlaps([DataLossCategory.PublicExposure, DataLossCategory.SnapshotShare]) || a.Mechanisms.Count > 0
            ? new ExposureWindow(a.First, open ? null : a.LastClose ?? a.Last, open)
            : new ExposureWindow(a.First, a.Last, false);
        var personal = asset?.PersonalData ?? false;
        var regulations = asset?.Regulations ?? [];
        var regimes = options.Regimes.Where(r => r.AppliesTo(personal, regulations)).Select(r => r.Name).ToList();
        var accessors = a.Accessors.OrderByDescending(x => x.Value).ThenBy(x => x.Key.Principal, StringComparer.Ordinal)
            .Take(options.MaxAccessorsPerResource)
            .Select(x => new DataLossAccessor(x.Key.Principal, x.Key.AccessKeyId, x.Key.SourceIp, x.Value)).ToList();
        return new DataLossResource(a.Key, a.Provider, a.Categories.Order().ToList(), asset?.Name, asset?.Classification, personal, regulations, asset?.Owner,
            accessors, a.Accessors.Keys.Select(k => k.Principal).Distinct().Count(), a.Events, a.Objects, a.Bytes,
            a.Reads > 0 && a.ReadsWithoutBytes == 0 && a.Bytes is not null, window, confidence, lowerBound, findings, regimes);
    }

    private static List<DataLossGap> FindGaps(List<DataLossResource> resources, Logged logged)
    {
        var result = new List<DataLossGap>();
        bool ExposedStorage(string provider) => resources.Any(r => r.Provider == provider && IsStorage(r.Resource, provider)
            && r.Categories.Any(c => c is DataLossCategory.PublicExposure or DataLossCategory.SnapshotShare or DataLossCategory.ObjectRead) && r.Reads() == 0);
        if (!logged.S3 && ExposedStorage("aws"))
            result.Add(new("data-loss:aws:s3-data-events", "CloudTrail S3 data events", "aws", "s3",
                "A bucket was exposed or shared, and the incident's logs hold no S3 data events: who read it, and how much, is unknown."));
        if (!logged.Gcs && ExposedStorage("gcp"))
            result.Add(new("data-loss:gcp:storage-data-access", "Cloud Storage Data Access audit logs", "gcp", "storage",
                "A bucket was exposed, and the incident's logs hold no Cloud Storage Data Access entries: reads are unknown."));
        if (!logged.AzureBlobs && ExposedStorage("azure"))
            result.Add(new("data-loss:azure:storage-blob-logs", "Azure Storage resource logs (StorageBlobLogs)", "azure", "storage",
                "A storage account or container was exposed or its keys read, and no blob reads are in the incident's logs: reads are unknown."));
        return result;
    }

    private async Task RecordGapsAsync(FirebreakDbContext db, Incident incident, List<DataLossGap> found, DataLossExtent extent, CancellationToken cancellationToken)
    {
        if (found.Count == 0) return;
        var references = found.Select(g => g.Reference).ToList();
        var existing = await db.DataGaps.AsNoTracking()
            .Where(g => g.IncidentId == incident.Id && g.Source == DataGapSource.DataLoss && g.SourceReference != null && references.Contains(g.SourceReference))
            .Select(g => g.SourceReference!).ToListAsync(cancellationToken);
        foreach (var gap in found.Where(g => !existing.Contains(g.Reference)))
        {
            await gaps.AddAsync(incident.Id.ToString(), new DataGapInput(gap.LogSource, DataGapImpact.Scoping, gap.Provider, gap.Service,
                $"{gap.Reason} Found by the data-loss assessment of {extent.AssessedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC."),
                DataGapSource.DataLoss, gap.Reference, cancellationToken);
        }
    }

    /// <summary>
    /// One clock per regime the extent triggers. Awareness is the first recorded assessment that triggered
    /// the regime, so re-running the assessment never restarts a clock.
    /// </summary>
    private List<NotificationClock> Clocks(List<DataLossResource> resources, List<string> previous, DateTimeOffset now)
    {
        var started = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var clocks in previous)
        {
            foreach (var clock in JsonSerializer.Deserialize<List<NotificationClock>>(clocks, Json) ?? [])
                started.TryAdd(clock.Regime, clock.Start);
        }
        var result = new List<NotificationClock>();
        foreach (var regime in options.Regimes)
        {
            var affected = resources.Where(r => r.Regimes.Contains(regime.Name)).Select(r => r.Resource).ToList();
            if (affected.Count == 0) continue;
            var start = started.TryGetValue(regime.Name, out var s) ? s : now;
            result.Add(new NotificationClock(regime.Name, regime.Authority, regime.Hours, start, start.AddHours(regime.Hours), affected));
        }
        return result;
    }

    private static string Statement(List<DataLossResource> resources, bool truncated)
    {
        if (resources.Count == 0)
            return "No data access, sharing, exposure or export was found in the incident's events.";
        string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n:N0} {what}s";
        var parts = new List<string>();
        var read = resources.Where(r => r.Categories.Contains(DataLossCategory.ObjectRead) && r.Objects > 0).ToList();
        if (read.Count > 0)
        {
            var bytes = read.Sum(r => r.Bytes ?? 0);
            parts.Add($"{read.Sum(r => r.Objects):N0} objects read from {Count(read.Count, "store")}" + (bytes > 0 ? $" ({Size(bytes)} logged)" : ""));
        }
        var secrets = resources.Count(r => r.Categories.Contains(DataLossCategory.SecretRead));
        if (secrets > 0) parts.Add(Count(secrets, "secret") + " read");
        var shared = resources.Count(r => r.Categories.Contains(DataLossCategory.SnapshotShare));
        if (shared > 0) parts.Add(Count(shared, "snapshot or image") + " shared or exported");
        var exposed = resources.Count(r => r.Categories.Contains(DataLossCategory.PublicExposure));
        if (exposed > 0) parts.Add(Count(exposed, "resource") + " publicly exposed");
        var exports = resources.Count(r => r.Categories.Contains(DataLossCategory.DatabaseExport));
        if (exports > 0) parts.Add(Count(exports, "database export"));
        var text = $"{Count(resources.Count, "resource")} affected: {string.Join("; ", parts)}.";
        var personal = resources.Count(r => r.PersonalData);
        if (personal > 0) text += $" {Count(personal, "resource")} hold{(personal == 1 ? "s" : "")} personal data.";
        if (resources.Any(r => r.LowerBound)) text += " Figures marked as lower bounds may be higher: the logs do not show every read.";
        if (truncated) text += " The assessment hit a limit and is incomplete.";
        return text;
    }

    internal static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };

    private sealed record AccessorKey(string? Principal, string? AccessKeyId, string? SourceIp);

    private sealed class Accumulator(string key, string provider)
    {
        public string Key { get; } = key;
        public string Provider { get; } = provider;
        public HashSet<DataLossCategory> Categories { get; } = [];
        public long Events { get; set; }
        public long Reads { get; set; }
        public long Lists { get; set; }
        public long Objects { get; set; }
        public long? Bytes { get; set; }
        public long ReadsWithoutBytes { get; set; }
        public bool Partial { get; set; }
        public DateTimeOffset? First { get; private set; }
        public DateTimeOffset? Last { get; private set; }
        public DateTimeOffset? LastClose { get; private set; }
        public List<string> Findings { get; } = [];
        public Dictionary<AccessorKey, long> Accessors { get; } = [];

        /// <summary>Each way in, and whether it is open now.</summary>
        public Dictionary<string, bool> Mechanisms { get; } = new(StringComparer.Ordinal);

        public void See(DateTimeOffset time)
        {
            if (First is null || time < First) First = time;
            if (Last is null || time > Last) Last = time;
        }

        public void Add(string? principal, string? accessKeyId, string? sourceIp, long events)
        {
            var key = new AccessorKey(principal, accessKeyId, sourceIp);
            Accessors[key] = Accessors.GetValueOrDefault(key) + events;
        }

        public void Apply(ChangeFinding finding, DateTimeOffset time)
        {
            Events++;
            var stamp = time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            Findings.Add($"{stamp} UTC: {finding.Finding}");
            if (finding.Opens is true)
            {
                See(time);
                Mechanisms[finding.Mechanism] = true;
            }
            else if (finding.Opens is false)
            {
                See(time);
                if (Mechanisms.ContainsKey(finding.Mechanism)) Mechanisms[finding.Mechanism] = false;
                if (!Mechanisms.Values.Any(v => v)) LastClose = time;
            }
            else
            {
                See(time);
            }
        }
    }
}

internal static class DataLossResourceExtensions
{
    /// <summary>Object reads counted for the resource (a resource only exposed has none).</summary>
    public static long Reads(this DataLossResource r) => r.Categories.Contains(DataLossCategory.ObjectRead) ? r.Objects : 0;
}
