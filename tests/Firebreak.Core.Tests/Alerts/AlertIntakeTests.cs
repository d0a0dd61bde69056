using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Tests.Alerts;

public class AlertIntakeTests
{
    private static IncomingAlert Alert(string title, string? reference = null, string source = "guardduty", params AlertEntity[] observables) => new()
    {
        Source = source,
        SourceReference = reference,
        Title = title,
        Severity = AlertSeverity.High,
        Account = "123456789012",
        Provider = "aws",
        Principals = [new AlertEntity(PrincipalTypes.AccessKey, "AKIAEXAMPLE0001")],
        Observables = observables,
        RawPayload = $"{{\"title\":\"{title}\"}}",
        Format = "generic",
    };

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RepeatedAlert_UpdatesTheExistingRow_NeverASecond(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();

        var first = await intake.SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-1")], null);
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        var second = await intake.SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-1") with { RawPayload = "{\"v\":2}" }], null);
        var noRef = await intake.SubmitAsync(acme.Id, "siem", [Alert("Console login without MFA"), Alert("Console login without MFA")], null);
        var otherTenant = await intake.SubmitAsync(globex.Id, "siem", [Alert("Tor exit node", "gd-1")], null);

        Assert.Equal(first.Alerts[0].Id, second.Alerts[0].Id);
        Assert.True(second.Alerts[0].Duplicate);
        Assert.Equal(2, second.Alerts[0].OccurrenceCount);
        Assert.Equal(noRef.Alerts[0].Id, noRef.Alerts[1].Id);
        Assert.Equal(2, noRef.Alerts[1].OccurrenceCount);
        Assert.NotEqual(first.Alerts[0].Id, otherTenant.Alerts[0].Id);
        var stored = await scope.Get<AlertService>().GetAsync(first.Alerts[0].Id);
        Assert.Equal("{\"v\":2}", stored.RawPayload);
        Assert.Equal(harness.Time.GetUtcNow(), stored.LastReceivedAt);
        Assert.Equal(harness.Time.GetUtcNow() - TimeSpan.FromMinutes(2), stored.ReceivedAt);
        Assert.Equal(2, (await scope.Get<AlertService>().ListAsync(new AlertQuery())).Total);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TextWithTheNulCharacter_IsAFieldError_AndTheBatchStoresNothing(DatabaseKind kind)
    {
        // JSON can carry \u0000 and CEF a raw NUL byte; PostgreSQL text cannot store the character at all.
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        IncomingAlert[] nul =
        [
            Alert("Tor\0exit node"),
            Alert("Tor exit node") with { Description = "a\0b" },
            Alert("Tor exit node", observables: new AlertEntity("ip", "203.0.113.9\0")),
            Alert("Tor exit node") with { Resources = ["arn:aws:s3:::bucket\0"] },
            Alert("Tor exit node") with { RawPayload = "CEF:0|v|p|1|1|Tor\0|5|" },
        ];

        foreach (var bad in nul)
        {
            var error = await Assert.ThrowsAsync<ValidationFailedException>(() => intake.SubmitAsync(acme.Id, "siem", [Alert("Fine", "ok-1"), bad], null));
            var messages = Assert.Single(error.Errors, e => e.Key == "alerts[1]").Value;
            Assert.Contains(messages, m => m.Contains("NUL", StringComparison.Ordinal));
        }

        Assert.Equal(0, (await scope.Get<AlertService>().ListAsync(new AlertQuery())).Total);
        Assert.Single((await intake.SubmitAsync(acme.Id, "siem", [Alert("Fine", "ok-1")], null)).Alerts);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Repeat_RaisesTheSeverity_WidensTheSeenTimes_KeepsTheTriage_AndRaisesTheVersion(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        var alerts = scope.Get<AlertService>();
        var t0 = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var id = (await intake.SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-7") with
        {
            Severity = AlertSeverity.Medium, OriginalSeverity = "5.0", DetectedAt = t0, FirstSeenAt = t0, LastSeenAt = t0.AddMinutes(5),
        }], null)).Alerts[0].Id;
        await alerts.TriageAsync(new TriageCommand([id], TriageState.Acknowledged, "looking"));
        var before = await alerts.GetAsync(id);

        var repeat = await intake.SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-7") with
        {
            Severity = AlertSeverity.Critical, OriginalSeverity = "9.1", DetectedAt = t0.AddHours(1), FirstSeenAt = t0.AddMinutes(-30), LastSeenAt = t0.AddHours(1),
            RawPayload = "{\"v\":2}",
        }], null);
        var lower = await intake.SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-7") with
        {
            Severity = AlertSeverity.Low, OriginalSeverity = "2.0", DetectedAt = t0.AddMinutes(10), FirstSeenAt = t0, LastSeenAt = t0.AddMinutes(10),
        }], null);

        Assert.Equal((id, true, 2), (repeat.Alerts[0].Id, repeat.Alerts[0].Duplicate, repeat.Alerts[0].OccurrenceCount));
        Assert.Equal(3, lower.Alerts[0].OccurrenceCount);
        var after = await alerts.GetAsync(id);
        Assert.Equal((AlertSeverity.Critical, "9.1"), (after.Severity, after.OriginalSeverity));
        Assert.Equal((t0.AddMinutes(-30), t0.AddHours(1)), (after.FirstSeenAt, after.LastSeenAt));
        Assert.Equal((TriageState.Acknowledged, "looking", before.TriagedBy), (after.TriageState, after.TriageReason, after.TriagedBy));
        Assert.Equal(before.Version + 2, after.Version);
        Assert.Equal(3, after.OccurrenceCount);
        Assert.Equal("{\"title\":\"Tor exit node\"}", after.RawPayload);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Repeat_OfARowChangedSinceItWasRead_IsRefused_AndWritesNothing(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var id = (await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [Alert("Tor exit node", "gd-8")], null)).Alerts[0].Id;
        var readVersion = (await scope.Get<AlertService>().GetAsync(id)).Version;
        await scope.Get<AlertService>().TriageAsync(new TriageCommand([id], TriageState.Acknowledged, "changed after the read"));

        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var stale = await db.Alerts.AsNoTracking().SingleAsync(a => a.Id == id);
            stale.OccurrenceCount = 99;
            stale.Version = readVersion; // as the repeat's read saw it, before the triage
            await using var tx = await db.Database.BeginTransactionAsync();
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => AlertRowInserter.UpdateRepeatsAsync(db, [stale], CancellationToken.None));
        }

        var stored = await scope.Get<AlertService>().GetAsync(id);
        Assert.Equal((1, TriageState.Acknowledged), (stored.OccurrenceCount, stored.TriageState));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IdempotencyKey_ReplaysTheFirstAnswer_AndStoresNothingTwice(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();

        var first = await intake.SubmitAsync(acme.Id, "siem", [Alert("a", "r1"), Alert("b", "r2")], "batch-42");
        var again = await intake.SubmitAsync(acme.Id, "siem", [Alert("a", "r1"), Alert("b", "r2")], "batch-42");

        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.Equal(first.Alerts.Select(a => a.Id), again.Alerts.Select(a => a.Id));
        Assert.All(again.Alerts, a => Assert.Equal(1, a.OccurrenceCount));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ConcurrentRequests_AreAllStored_ExactlyOnce(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            intake.SubmitAsync(acme.Id, "siem", Enumerable.Range(0, 25).Select(j => Alert($"alert {j}", $"ref-{i % 10}-{j}")).ToList(), null)));

        Assert.Equal(250, results.SelectMany(r => r.Alerts).Select(a => a.Id).Distinct().Count());
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(250, await db.Alerts.CountAsync());
        Assert.Equal(1000, await db.Alerts.SumAsync(a => a.OccurrenceCount));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TheSameNewAlertAndKey_SentAtOnce_AreStoredOnce(DatabaseKind kind)
    {
        // On PostgreSQL two writers store groups side by side: the same new key, or the same Idempotency-Key, in both
        // makes one group fail on the unique index, and it is stored again as a repeat or a replay.
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();

        for (var round = 0; round < 5; round++)
        {
            var same = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
                intake.SubmitAsync(acme.Id, "siem", [Alert($"filler {round}-{i}", $"f-{round}-{i}"), Alert("Same", $"same-{round}")], null)));
            var keyed = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ =>
                intake.SubmitAsync(acme.Id, "siem", [Alert("Keyed", $"keyed-{round}")], $"key-{round}")));

            Assert.Single(same.Select(r => r.Alerts[1].Id).Distinct());
            Assert.Equal(Enumerable.Range(1, 24), same.Select(r => r.Alerts[1].OccurrenceCount).Order());
            Assert.Single(keyed.SelectMany(r => r.Alerts).Select(a => a.Id).Distinct());
            Assert.Single(keyed, r => !r.Replayed);
        }
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(5 * (24 + 2), await db.Alerts.CountAsync());
        Assert.Equal(5 * (24 + 24 + 1), await db.Alerts.SumAsync(a => a.OccurrenceCount));
        Assert.Equal(5, await db.IntakeReceipts.CountAsync());
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Suppression_KeepsAndCountsMatchingAlerts_HiddenFromTheQueue(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var manager = harness.As(acme.Manager);
        var rules = manager.Get<SuppressionService>();
        var scanner = await rules.CreateAsync(new CreateSuppressionRule("Our scanner", SuppressionField.Observable, MatchOperator.Cidr, "198.51.100.0/24", "Weekly authorised scan"));
        await rules.CreateAsync(new CreateSuppressionRule("Lab account", SuppressionField.Title, MatchOperator.Wildcard, "*lab-only*", "Sandbox noise"));
        var expired = await rules.CreateAsync(new CreateSuppressionRule("Old", SuppressionField.Source, MatchOperator.Exact, "SCC", "temporary", harness.Time.GetUtcNow().AddMinutes(5)));
        harness.Time.Advance(TimeSpan.FromMinutes(10));

        var intake = manager.Get<AlertIntake>();
        var result = await intake.SubmitAsync(acme.Id, "siem",
        [
            Alert("Port probe", "p1", "guardduty", new AlertEntity(ObservableTypes.Ip, "198.51.100.23")),
            Alert("Port probe", "p2", "guardduty", new AlertEntity(ObservableTypes.Ip, "203.0.113.9")),
            Alert("Login in LAB-ONLY project", "p3"),
            Alert("Finding", "p4", "scc"),
        ], null);

        Assert.Equal([true, false, true, false], result.Alerts.Select(a => a.Suppressed));
        var alerts = manager.Get<AlertService>();
        Assert.Equal(2, (await alerts.ListAsync(new AlertQuery())).Total);
        Assert.Equal(2, (await alerts.ListAsync(new AlertQuery(OnlySuppressed: true))).Total);
        Assert.Equal(4, (await alerts.ListAsync(new AlertQuery(IncludeSuppressed: true))).Total);
        var views = await rules.ListAsync();
        Assert.Equal(1, views.Single(r => r.Id == scanner.Id).SuppressedAlerts);
        Assert.False(views.Single(r => r.Id == expired.Id).Active);

        await Assert.ThrowsAsync<ValidationFailedException>(() => rules.CreateAsync(new CreateSuppressionRule("x", SuppressionField.Observable, MatchOperator.Cidr, "not-a-network", "r")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => rules.CreateAsync(new CreateSuppressionRule("x", SuppressionField.Title, MatchOperator.Exact, "x", " ")));
        await using (var responder = harness.As(acme.Responder))
            await Assert.ThrowsAsync<ForbiddenException>(() => responder.Get<SuppressionService>().CreateAsync(new CreateSuppressionRule("x", SuppressionField.Title, MatchOperator.Exact, "x", "r")));
        var audit = await manager.Get<Auditing.AuditService>().ListAsync(1, 100);
        Assert.Contains(audit.Items, a => a.EntityType == "SuppressionRule" && a.EntityId == scanner.Id.ToString() && a.Action == "created");
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Triage_RecordsWhoWhenWhy_AllOrNothing_AndFeedsFalsePositiveRates(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var responder = harness.As(acme.Responder);
        var intake = responder.Get<AlertIntake>();
        var ids = (await intake.SubmitAsync(acme.Id, "siem",
            [Alert("Noisy", "n1") with { Category = "Recon:EC2/PortProbe" }, Alert("Noisy", "n2") with { Category = "Recon:EC2/PortProbe" }, Alert("Real", "r1") with { Category = "CredentialAccess" }], null))
            .Alerts.Select(a => a.Id).ToList();
        var foreign = (await intake.SubmitAsync(globex.Id, "siem", [Alert("Theirs", "t1")], null)).Alerts[0].Id;
        var alerts = responder.Get<AlertService>();

        await Assert.ThrowsAsync<ValidationFailedException>(() => alerts.TriageAsync(new TriageCommand([ids[0]], TriageState.FalsePositive, null)));
        await Assert.ThrowsAsync<NotFoundException>(() => alerts.TriageAsync(new TriageCommand([ids[0], foreign], TriageState.Acknowledged, null)));
        Assert.Equal(TriageState.New, (await alerts.GetAsync(ids[0])).TriageState);
        await alerts.TriageAsync(new TriageCommand([ids[0], ids[1]], TriageState.FalsePositive, "authorised scanner"));
        await alerts.TriageAsync(new TriageCommand([ids[2]], TriageState.BenignTruePositive, "admin testing"));

        var triaged = await alerts.GetAsync(ids[0]);
        Assert.Equal(("responder@acme.example", "authorised scanner"), (triaged.TriagedBy, triaged.TriageReason));
        var rates = await alerts.FalsePositiveRatesAsync(perDetection: true);
        Assert.Equal(1.0, rates.Single(r => r.Detection == "Recon:EC2/PortProbe").FalsePositiveRate);
        Assert.Equal(0.0, rates.Single(r => r.Detection == "CredentialAccess").FalsePositiveRate);
        Assert.Equal(2.0 / 3, (await alerts.FalsePositiveRatesAsync(perDetection: false)).Single().FalsePositiveRate, 3);
        await using var viewer = harness.As(acme.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<AlertService>().TriageAsync(new TriageCommand([ids[0]], TriageState.Acknowledged, null)));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task NewAlerts_WrittenInBulk_ReadBackFieldForField_AcrossStatementChunks(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        var detected = new DateTimeOffset(2026, 11, 28, 23, 59, 58, 123, TimeSpan.Zero);
        // More rows than one INSERT statement holds (200 on PostgreSQL), the last chunk partial, and repeats of new alerts in the same request.
        var count = 2 * 200 + 37;
        var alerts = Enumerable.Range(0, count).Select(i => Alert($"alert {i}", $"bulk-{i}") with
        {
            Description = i % 2 == 0 ? null : $"line one\nline \"two\" {i}",
            Severity = (AlertSeverity)(i % 5),
            OriginalSeverity = i % 3 == 0 ? null : "8.5",
            DetectedAt = detected.AddSeconds(i),
            FirstSeenAt = i % 4 == 0 ? null : detected.AddSeconds(i - 60),
            LastSeenAt = detected.AddSeconds(i + 60),
            Category = i % 2 == 0 ? "UnauthorizedAccess" : null,
            Techniques = i % 2 == 0 ? ["t1078.004", "T1078.004", "T1098"] : [],
            Region = "EU-West-1 ",
            Resources = [$"arn:aws:s3:::bucket-{i}", "arn:aws:iam::123456789012:role/ops"],
            Observables = [new AlertEntity(ObservableTypes.Ip, "198.51.100.7")],
            RawPayload = $"{{\"i\":{i},\"\u00e9\":\"\u2603\"}}",
        }).Concat([Alert("alert 3", "bulk-3") with { Severity = AlertSeverity.Critical }]).ToList();

        var result = await intake.SubmitAsync(acme.Id, "siem", alerts, "bulk-1");

        Assert.Equal(count, result.Alerts.Take(count).Select(a => a.Id).Distinct().Count());
        Assert.Equal(result.Alerts[3].Id, result.Alerts[count].Id);
        Assert.Equal(2, result.Alerts[count].OccurrenceCount);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(count, await db.Alerts.CountAsync());
        var stored = await db.Alerts.AsNoTracking().ToDictionaryAsync(a => a.Id);
        for (var i = 0; i < count; i++)
        {
            var sent = alerts[i];
            var row = stored[result.Alerts[i].Id];
            Assert.Equal(acme.Id, row.TenantId);
            Assert.Equal(AlertFingerprint.DedupKey(sent), row.DedupKey);
            Assert.Equal(sent.Source, row.Source);
            Assert.Equal(sent.SourceReference, row.SourceReference);
            Assert.Equal("generic", row.Format);
            Assert.Equal(sent.Title, row.Title);
            Assert.Equal(sent.Description, row.Description);
            Assert.Equal(i == 3 ? AlertSeverity.Critical : sent.Severity, row.Severity);
            Assert.Equal(sent.OriginalSeverity, row.OriginalSeverity);
            Assert.Equal(sent.DetectedAt, row.DetectedAt);
            Assert.Equal(sent.FirstSeenAt ?? sent.DetectedAt, row.FirstSeenAt);
            Assert.Equal(sent.LastSeenAt, row.LastSeenAt);
            Assert.Equal(harness.Time.GetUtcNow(), row.ReceivedAt);
            Assert.Equal(harness.Time.GetUtcNow(), row.LastReceivedAt);
            Assert.Equal(i == 3 ? 2 : 1, row.OccurrenceCount);
            Assert.Equal(sent.Category, row.Category);
            Assert.Equal(i % 2 == 0 ? ["T1078.004", "T1098"] : [], row.Techniques);
            Assert.Equal("aws", row.Provider);
            Assert.Equal("123456789012", row.Account);
            Assert.Equal("eu-west-1", row.Region);
            Assert.Equal(sent.Resources, row.Resources);
            Assert.Equal(sent.Principals, row.Principals);
            Assert.Equal(sent.Observables, row.Observables);
            Assert.Equal(i == 3 ? alerts[count].RawPayload : sent.RawPayload, row.RawPayload);
            Assert.Equal(TriageState.New, row.TriageState);
            Assert.Null(row.SuppressedByRuleId);
            Assert.Null(row.IncidentId);
            Assert.Equal(harness.Time.GetUtcNow(), row.RulesCheckedAt);
            Assert.Equal(0, row.Version);
        }
        // The stored rows are ordinary rows: triage (a tracked update with its version check) works on them.
        var triaged = await scope.Get<AlertService>().TriageAsync(new TriageCommand([result.Alerts[0].Id], TriageState.Acknowledged, null));
        Assert.Equal(TriageState.Acknowledged, triaged.Single().TriageState);

        // Everything again: repeats of more rows than one round trip of updates holds (200 on PostgreSQL), the last chunk partial.
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var again = await intake.SubmitAsync(acme.Id, "siem", alerts.Take(count).Select(a => a with { RawPayload = a.RawPayload + " " }).ToList(), "bulk-2");
        Assert.Equal(result.Alerts.Take(count).Select(a => a.Id), again.Alerts.Select(a => a.Id));
        Assert.All(again.Alerts, a => Assert.True(a.Duplicate));
        var repeated = await db.Alerts.AsNoTracking().ToDictionaryAsync(a => a.Id);
        for (var i = 0; i < count; i++)
        {
            var row = repeated[result.Alerts[i].Id];
            Assert.Equal(i == 3 ? 3 : 2, row.OccurrenceCount);
            Assert.Equal(alerts[i].RawPayload + " ", row.RawPayload);
            Assert.Equal(harness.Time.GetUtcNow(), row.LastReceivedAt);
            Assert.Equal(i == 0 ? 2 : 1, row.Version);
            Assert.Equal(i == 0 ? TriageState.Acknowledged : TriageState.New, row.TriageState);
        }
    }

    [Fact]
    public async Task Queue_WalksTheQueueIndexInOrder_WithoutSortingTheMatches()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var page = AlertService.Newest(AlertService.Filter(db, new AlertQuery(TriageState.New, AlertSeverity.High))).Skip(950).Take(50);
        // Parameters stay unbound (NULL): the plan does not depend on their values.
        var sql = string.Join('\n', page.ToQueryString().Split('\n').Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));

        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) plan.Add(reader.GetString(reader.GetOrdinal("detail")));
        }

        Assert.Contains(plan, d => d.Contains("IX_Alerts_Queue", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, d => d.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PartialIndexes_HoldOnlyTheRareAlerts_AndStillServeTheirLookups()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", Enumerable.Range(0, 20).Select(i => Alert($"a {i}", $"p-{i}")).ToList(), null);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();

        async Task<List<string>> Rows(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), System.Globalization.CultureInfo.InvariantCulture)!);
            return rows;
        }

        // Partial indexes: alerts that are neither escalated nor suppressed, and already checked against escalation rules,
        // have no entry in them.
        Assert.Equal(["IX_Alerts_IncidentId", "IX_Alerts_RulesCheckedAt", "IX_Alerts_SuppressedByRuleId"],
            (await Rows("SELECT name FROM pragma_index_list('Alerts') WHERE partial = 1")).Order(StringComparer.Ordinal));
        Assert.Equal(["20"], await Rows("SELECT count(*) FROM \"Alerts\" WHERE \"IncidentId\" IS NULL AND \"SuppressedByRuleId\" IS NULL AND \"RulesCheckedAt\" IS NOT NULL"));

        // The lookups that need them still use them.
        Assert.Contains(await Rows("EXPLAIN QUERY PLAN SELECT \"Id\" FROM \"Alerts\" WHERE \"IncidentId\" = 'x'"), d => d.Contains("IX_Alerts_IncidentId", StringComparison.Ordinal));
        Assert.Contains(await Rows("EXPLAIN QUERY PLAN SELECT count(*) FROM \"Alerts\" WHERE \"SuppressedByRuleId\" = 'x'"), d => d.Contains("IX_Alerts_SuppressedByRuleId", StringComparison.Ordinal));
        var pending = db.Alerts.AsNoTracking().Where(a => a.RulesCheckedAt == null).OrderBy(a => a.ReceivedAt).Take(500).ToQueryString();
        var sql = string.Join('\n', pending.Split('\n').Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
        Assert.Contains(await Rows("EXPLAIN QUERY PLAN " + sql), d => d.Contains("IX_Alerts_RulesCheckedAt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Postgres_TheWriterRefreshesTheAlertStatistics_OnceTheTableHasGrown()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Postgres);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        async Task<float> KnownRows() => await db.Database
            .SqlQueryRaw<float>("SELECT reltuples AS \"Value\" FROM pg_class WHERE oid = '\"Alerts\"'::regclass").SingleAsync();
        // Only the writer may take the statistics here: autovacuum would otherwise analyze the table on its own minute
        // (every column, the payload too) and the count seen could be its, taken before the growth.
        await db.Database.ExecuteSqlRawAsync("ALTER TABLE \"Alerts\" SET (autovacuum_enabled = false)");

        await intake.SubmitAsync(acme.Id, "siem", Enumerable.Range(0, 900).Select(i => Alert($"a {i}", $"s-{i}")).ToList(), null);
        await intake.SubmitAsync(acme.Id, "siem", [Alert("one more", "s-x")], null);
        Assert.True(await KnownRows() < 0, "a table never analyzed has no row count yet");

        await intake.SubmitAsync(acme.Id, "siem", Enumerable.Range(900, 300).Select(i => Alert($"a {i}", $"s-{i}")).ToList(), null);
        // The analysis follows the group that crossed the threshold, on the writer that stored it (the other
        // PostgreSQL writer may meanwhile store the next group).
        await intake.SubmitAsync(acme.Id, "siem", [Alert("one more", "s-x")], null);
        var known = await KnownRows();
        for (var wait = 0; known < 0 && wait < 600; wait++)
        {
            await Task.Delay(100);
            known = await KnownRows();
        }
        // The count is ANALYZE's estimate of the live rows, taken while the other writer may be storing the last
        // alert's repeat: it was 1,202 for 1,201 rows in one run. What matters is that it was taken after the growth.
        Assert.InRange(known, 1_195, 1_207);
        // The queue's columns too (without them the queue is planned as a sort of every match), not the payload.
        var analyzed = await db.Database.SqlQueryRaw<string>("SELECT attname::text AS \"Value\" FROM pg_stats WHERE tablename = 'Alerts'").ToListAsync();
        Assert.Superset(new HashSet<string> { "TenantId", "DedupKey", "TriageState", "SuppressedByRuleId", "Severity", "LastReceivedAt", "Title" }, analyzed.ToHashSet());
        Assert.DoesNotContain("RawPayload", analyzed);
    }

    [Fact]
    public async Task FullQueue_RefusesAtOnce_InsteadOfWaiting()
    {
        var intake = new AlertIntake(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Firebreak:Alerts:QueueCapacity"] = "1" }).Build());
        var tenant = Guid.NewGuid();
        var queued = intake.SubmitAsync(tenant, "t", [Alert("one", "1")], null);

        var busy = await Assert.ThrowsAsync<IntakeBusyException>(() => intake.SubmitAsync(tenant, "t", [Alert("two", "2")], null));
        Assert.True(busy.RetryAfter > TimeSpan.Zero);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task BadAlerts_AreRefusedWhole_WithTheirIndex()
    {
        var intake = new AlertIntake(new ConfigurationBuilder().Build());
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => intake.SubmitAsync(Guid.NewGuid(), "t",
            [Alert("fine", "1"), Alert("", "2"), Alert("x", new string('r', 600))], null));
        Assert.Equal(["alerts[1]", "alerts[2]"], error.Errors.Keys.Order());
        await Assert.ThrowsAsync<ValidationFailedException>(() => intake.SubmitAsync(Guid.NewGuid(), "t", Enumerable.Range(0, AlertLimits.MaxBatch + 1).Select(i => Alert("a", $"{i}")).ToList(), null));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_CountsExactlyUpToTheLimit_ThenSaysTheTotalIsALowerBound(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        await intake.SubmitAsync(acme.Id, "siem", [.. Enumerable.Range(0, 6_000).Select(n => Alert($"Noise {n}", $"noise-{n}", source: "edr"))], null);
        await intake.SubmitAsync(acme.Id, "siem", [.. Enumerable.Range(6_000, AlertLimits.ExactCount - 6_000 + 1).Select(n => Alert($"Noise {n}", $"noise-{n}", source: "edr"))], null);
        await intake.SubmitAsync(acme.Id, "siem", [Alert("Root login", "rare-1", source: "guardduty"), Alert("Root login again", "rare-2", source: "guardduty")], null);
        var alerts = scope.Get<AlertService>();

        var all = await alerts.ListAsync(new AlertQuery(PageSize: 50));
        Assert.Equal((AlertLimits.ExactCount, true, 50), (all.Total, all.TotalIsLowerBound, all.Items.Count));
        // Pages past the counted total still work: 10,003 alerts, the last three on page 201.
        var deep = await alerts.ListAsync(new AlertQuery(Page: 201, PageSize: 50));
        Assert.Equal(3, deep.Items.Count);
        var few = await alerts.ListAsync(new AlertQuery(Source: "guardduty"));
        Assert.Equal((2, false), (few.Total, few.TotalIsLowerBound));
    }
}
