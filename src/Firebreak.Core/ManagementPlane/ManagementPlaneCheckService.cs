using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.PostMortem;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.ManagementPlane;

/// <summary>
/// The management-plane check: before containment, is the provider's control plane free of the attacker?
/// Every item is a handful of indexed queries over the incident's events (operation or principal, then
/// time), counted in the database; only evidence ids, and the raw records of the few candidates a rule
/// must read, leave it.
/// </summary>
public sealed class ManagementPlaneCheckService(IDbContextFactory<FirebreakDbContext> factory, DataGapService dataGaps, TimeProvider time, IConfiguration configuration)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What an unknown item says when it needs the break-glass list rather than a log; not a data gap.</summary>
    internal const string BreakGlassSetting = "the list of break-glass accounts (Firebreak:ManagementPlane:BreakGlassAccounts)";

    /// <summary>Configured break-glass identities: UPNs, e-mail addresses, IAM ARNs; a list or one comma-separated value.</summary>
    public IReadOnlyList<string> BreakGlassAccounts
    {
        get
        {
            var section = configuration.GetSection("Firebreak:ManagementPlane:BreakGlassAccounts");
            var values = section.GetChildren().Select(c => c.Value).Append(section.Value);
            return values.Where(v => !string.IsNullOrWhiteSpace(v))
                .SelectMany(v => v!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        }
    }

    public Task<CheckRunView> RunAsync(string incidentKey, RunCheck command, CancellationToken cancellationToken = default) =>
        RunAsync(incidentKey, command, CheckTrigger.Manual, null, cancellationToken);

    internal async Task<CheckRunView> RunAsync(string incidentKey, RunCheck command, CheckTrigger trigger, Guid? importId, CancellationToken cancellationToken)
    {
        new Checks()
            .That(command.From is null || command.To is null || command.From < command.To, "from", "from must be before to.")
            .ThrowIfAny();
        ManagementPlaneCheckRun run;
        Guid incidentId;
        string reference;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            IncidentLookup.Require(db.Actor, Role.Responder, "run the management-plane check");
            var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
            incidentId = incident.Id;
            reference = incident.Reference;
            var evaluation = await new Evaluation(db, incident, BreakGlassAccounts).RunAsync(command.From, command.To, cancellationToken);
            run = new ManagementPlaneCheckRun
            {
                TenantId = incident.TenantId,
                IncidentId = incident.Id,
                Trigger = trigger,
                ImportId = importId,
                RunBy = db.Actor.Name,
                RanAt = time.GetUtcNow(),
                WindowFrom = evaluation.From,
                WindowTo = evaluation.To,
                EventsInWindow = evaluation.EventsInWindow,
                Passed = evaluation.Items.Count(i => i.Status == CheckStatus.Pass),
                Failed = evaluation.Items.Count(i => i.Status == CheckStatus.Fail),
                Unknown = evaluation.Items.Count(i => i.Status == CheckStatus.Unknown),
                Items = JsonSerializer.Serialize(evaluation.Items, Json),
            };
            db.ManagementPlaneCheckRuns.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }
        await RecordGapsAsync(reference, incidentId, run, cancellationToken);
        return ToView(run);
    }

    public async Task<IReadOnlyList<CheckRunView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var runs = await db.ManagementPlaneCheckRuns.AsNoTracking().Where(r => r.IncidentId == incident.Id)
            .OrderByDescending(r => r.RanAt).ThenByDescending(r => r.Id).Take(ManagementPlaneLimits.HistoryCap).ToListAsync(cancellationToken);
        return runs.Select(ToView).ToList();
    }

    public async Task<CheckRunView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var run = await db.ManagementPlaneCheckRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Management-plane check", id.ToString());
        return ToView(run);
    }

    /// <summary>The newest run, or null when the check never ran on the incident.</summary>
    public async Task<CheckRunView?> GetLatestAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var run = await LatestAsync(db, incident.Id, cancellationToken);
        return run is null ? null : ToView(run);
    }

    /// <summary>A responder's review of the newest run: who, when and a note. A run is reviewed once; a newer run needs its own review.</summary>
    public async Task<CheckRunView> ReviewAsync(string incidentKey, Guid id, ReviewCheck command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        new Checks().MaxLength("note", command.Note, ManagementPlaneLimits.NoteLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "review the management-plane check");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var run = await db.ManagementPlaneCheckRuns.SingleOrDefaultAsync(r => r.Id == id && r.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Management-plane check", id.ToString());
        IncidentLookup.CheckVersion(run, expectedVersion);
        if (run.ReviewedAt is not null)
            throw new ConflictException($"This check was already reviewed by {run.ReviewedBy}.");
        var latest = await LatestAsync(db, incident.Id, cancellationToken);
        if (latest!.Id != run.Id)
            throw new ConflictException("A newer check has run since; review the newest one.");
        run.ReviewedBy = db.Actor.Name;
        run.ReviewedAt = time.GetUtcNow();
        run.ReviewNote = string.IsNullOrWhiteSpace(command.Note) ? null : command.Note.Trim();
        await db.SaveChangesAsync(cancellationToken);
        return ToView(run);
    }

    /// <summary>Whether containment may go ahead without a warning: the newest run is reviewed and nothing in it failed.</summary>
    public async Task<ContainmentReadiness> GetReadinessAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await ReadinessAsync(db, incident.Id, cancellationToken);
    }

    internal static async Task<ContainmentReadiness> ReadinessAsync(FirebreakDbContext db, Guid incidentId, CancellationToken cancellationToken)
    {
        var run = await LatestAsync(db, incidentId, cancellationToken);
        if (run is null)
        {
            return new ContainmentReadiness(false, null,
                ["Management-plane check: not run yet. Run and review it before containment: an attacker who still holds the provider's control plane can undo any containment."]);
        }
        var warnings = new List<string>();
        var items = ReadItems(run.Items);
        var failed = items.Where(i => i.Status == CheckStatus.Fail).ToList();
        if (failed.Count > 0)
        {
            warnings.Add("Management-plane check failed: " + string.Join("; ", failed.Select(i => $"{i.Question} ({i.EvidenceCount} event{(i.EvidenceCount == 1 ? "" : "s")})")));
        }
        if (run.ReviewedAt is null)
        {
            warnings.Add($"Management-plane check: the run of {run.RanAt:yyyy-MM-dd HH:mm} UTC has not been reviewed. Review it before containment.");
        }
        var unknown = items.Count(i => i.Status == CheckStatus.Unknown);
        if (unknown > 0 && warnings.Count > 0)
        {
            warnings.Add($"Management-plane check: {unknown} item{(unknown == 1 ? "" : "s")} could not be answered for missing logs.");
        }
        return new ContainmentReadiness(warnings.Count == 0, run.Id, warnings);
    }

    private static Task<ManagementPlaneCheckRun?> LatestAsync(FirebreakDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        db.ManagementPlaneCheckRuns.Where(r => r.IncidentId == incidentId).OrderByDescending(r => r.RanAt).ThenByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>One data gap per missing log, named by a hash of the log so a re-run finds it and adds nothing.</summary>
    private async Task RecordGapsAsync(string reference, Guid incidentId, ManagementPlaneCheckRun run, CancellationToken cancellationToken)
    {
        var missing = ReadItems(run.Items).Where(i => i.Status == CheckStatus.Unknown)
            .SelectMany(i => i.Missing.Where(m => m != BreakGlassSetting).Select(m => (Log: m, Item: i)))
            .GroupBy(x => x.Log, StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return;
        HashSet<string?> known;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            known = (await db.DataGaps.AsNoTracking().Where(g => g.IncidentId == incidentId && g.Source == DataGapSource.ManagementPlaneCheck)
                .Select(g => g.SourceReference).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        }
        foreach (var gap in missing)
        {
            var key = GapReference(gap.Key);
            if (known.Contains(key)) continue;
            var first = gap.First().Item;
            var input = new DataGapInput(
                gap.Key.Length > PostMortemLimits.TitleLength ? gap.Key[..PostMortemLimits.TitleLength] : gap.Key,
                DataGapImpact.DetectionAndScoping,
                first.Provider,
                CheckCatalogue.ServiceOf(gap.Key),
                $"The management-plane check (run {run.Id}) could not answer: {string.Join("; ", gap.Select(x => x.Item.Question))}");
            try
            {
                await dataGaps.AddAsync(reference, input, DataGapSource.ManagementPlaneCheck, key, cancellationToken);
            }
            catch (ConflictException)
            {
                // The incident holds the most data gaps it may; the check's items still name the missing logs.
                return;
            }
        }
    }

    internal static string GapReference(string log) =>
        "management-plane:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(log)))[..32];

    internal static IReadOnlyList<CheckItemResult> ReadItems(string json) =>
        JsonSerializer.Deserialize<List<CheckItemResult>>(json, Json) ?? [];

    internal static CheckRunView ToView(ManagementPlaneCheckRun r) => new(r.Id, r.IncidentId, r.Trigger, r.ImportId, r.RunBy, r.RanAt, r.WindowFrom, r.WindowTo,
        r.EventsInWindow, r.Passed, r.Failed, r.Unknown, ReadItems(r.Items), r.ReviewedBy, r.ReviewedAt, r.ReviewNote, r.Version);
}
