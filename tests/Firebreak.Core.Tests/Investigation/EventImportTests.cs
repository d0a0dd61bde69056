using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Investigation;

public sealed class EventImportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-import-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<CoreHarness> HarnessAsync(DatabaseKind kind, int batchSize = 100) => CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
    {
        ["Firebreak:Investigation:RunImports"] = "false",
        ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
        ["Firebreak:Investigation:ImportRoots:0"] = Path.Combine(_root, "logs"),
        ["Firebreak:Investigation:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private static async Task<string> IncidentAsync(CoreHarness harness, HarnessTenant tenant)
    {
        await using var scope = harness.As(tenant.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"))).Reference;
    }

    private static async Task RunAsync(CoreHarness harness, HarnessTenant tenant, Guid importId, Action<ImportView>? afterBatch = null, CancellationToken cancellationToken = default)
    {
        await using var scope = harness.As(Actors.System("event-import"));
        var runner = scope.Get<EventImportRunner>();
        runner.BatchCommitted = afterBatch;
        await runner.RunAsync(importId, cancellationToken);
    }

    private static async Task<List<string>> StoredIdsAsync(CoreHarness harness)
    {
        await using var scope = harness.As(Actors.System("check"));
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        return await db.IncidentEvents.Select(e => e.EventId).ToListAsync();
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Upload_StoresEachEventOnce_AndCountsDuplicates(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        ImportView first, second;
        await using (var scope = harness.As(acme.Responder))
        {
            var imports = scope.Get<EventImportService>();
            first = await imports.StartUploadAsync(incident, "trail-1.json.gz", new MemoryStream(TrailLines.Gzip(TrailLines.Lines(Enumerable.Range(0, 750)))));
            // Overlaps the first by 250 events, and repeats one record inside itself.
            second = await imports.StartUploadAsync(incident, "trail-2.json", new MemoryStream(TrailLines.Lines(Enumerable.Range(500, 500).Append(900))));
        }
        await RunAsync(harness, acme, first.Id);
        await RunAsync(harness, acme, second.Id);

        await using (var scope = harness.As(acme.Viewer))
        {
            var imports = scope.Get<EventImportService>();
            var a = await imports.GetAsync(incident, first.Id);
            var b = await imports.GetAsync(incident, second.Id);
            Assert.Equal((ImportStatus.Completed, 750L, 750L, 0L), (a.Status, a.EventsRead, a.EventsStored, a.Duplicates));
            Assert.Equal((ImportStatus.Completed, 501L, 250L, 251L), (b.Status, b.EventsRead, b.EventsStored, b.Duplicates));
            Assert.True(a.BytesRead > 0);
            Assert.Equal(1000, await scope.Get<EventSearchService>().CountAsync(incident));
        }
        var ids = await StoredIdsAsync(harness);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "staging")));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task UploadedArchives_AreReadEntryByEntry_CitedByTheUploadsName_AndResumeWithoutLoss(DatabaseKind kind)
    {
        // An uploaded zip was one error (not JSON): its logs never reached the incident.
        await using var harness = await HarnessAsync(kind, batchSize: 150);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            // Two entries of one name: the import keeps its place by name, and took the second for the first read again.
            foreach (var range in new[] { Enumerable.Range(0, 20), Enumerable.Range(20, 10) })
            {
                using var entry = archive.CreateEntry("AWSLogs/a.json").Open();
                entry.Write(TrailLines.Lines(range));
            }
        }
        var tar = TrailLines.Tgz(
            ("AWSLogs/b.json", TrailLines.Lines(Enumerable.Range(100, 400))),
            ("AWSLogs/c.json.gz", TrailLines.Gzip(TrailLines.Lines(Enumerable.Range(500, 300)))),
            ("AWSLogs/d.json", TrailLines.Lines(Enumerable.Range(800, 200))));
        ImportView zipped, tarred;
        await using (var scope = harness.As(acme.Responder))
        {
            var imports = scope.Get<EventImportService>();
            zipped = await imports.StartUploadAsync(incident, "handover.zip", new MemoryStream(zip.ToArray()));
            tarred = await imports.StartUploadAsync(incident, "handover.tgz", new MemoryStream(tar));
        }

        await RunAsync(harness, acme, zipped.Id);
        // Stopped mid-way through the tarball's second entry, as a shutdown would, then resumed.
        using var stop = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(harness, acme, tarred.Id, _ =>
        {
            if (++batches == 4) stop.Cancel();
        }, stop.Token));
        await RunAsync(harness, acme, tarred.Id);

        await using (var scope = harness.As(acme.Viewer))
        {
            var imports = scope.Get<EventImportService>();
            var a = await imports.GetAsync(incident, zipped.Id);
            var b = await imports.GetAsync(incident, tarred.Id);
            Assert.Equal((ImportStatus.Completed, 30L, 0L), (a.Status, a.EventsStored, a.Problems));
            Assert.Equal((ImportStatus.Completed, 900L, 0L, 3), (b.Status, b.EventsStored, b.Problems, b.FilesDone));
        }
        var ids = await StoredIdsAsync(harness);
        Assert.Equal(Enumerable.Range(0, 30).Concat(Enumerable.Range(100, 900)).Select(n => $"ev-{n:D8}"), ids.Order(StringComparer.Ordinal));
        await using (var scope = harness.As(Actors.System("check")))
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var origins = await db.IncidentEvents.Select(e => e.Origin).ToListAsync();
            Assert.Contains(origins, o => o!.StartsWith("handover.zip!AWSLogs/a.json#2", StringComparison.Ordinal));
            Assert.Contains(origins, o => o!.StartsWith("handover.tgz!AWSLogs/c.json.gz", StringComparison.Ordinal));
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "staging")));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AnUploadedZipOfTarballs_IsReadThroughEachTarball_AndResumesWithoutLoss(DatabaseKind kind)
    {
        // A handover of one tarball per account, zipped: each tarball was one error, and none of its logs was stored.
        await using var harness = await HarnessAsync(kind, batchSize: 150);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var handover = Firebreak.Testing.ZipBytes.Of(
            ("accounts/111122223333.tgz", TrailLines.Tgz(
                ("AWSLogs/b.json", TrailLines.Lines(Enumerable.Range(100, 400))),
                ("AWSLogs/c.json.gz", TrailLines.Gzip(TrailLines.Lines(Enumerable.Range(500, 300)))))),
            ("accounts/444455556666.tgz", TrailLines.Tgz(("AWSLogs/d.json", TrailLines.Lines(Enumerable.Range(800, 200))))));
        ImportView upload;
        await using (var scope = harness.As(acme.Responder))
        {
            upload = await scope.Get<EventImportService>().StartUploadAsync(incident, "accounts.zip", new MemoryStream(handover));
        }

        // Stopped inside the first tarball, then resumed.
        using var stop = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(harness, acme, upload.Id, _ =>
        {
            if (++batches == 3) stop.Cancel();
        }, stop.Token));
        await RunAsync(harness, acme, upload.Id);

        await using (var scope = harness.As(acme.Viewer))
        {
            var done = await scope.Get<EventImportService>().GetAsync(incident, upload.Id);
            Assert.Equal((ImportStatus.Completed, 900L, 0L, 3), (done.Status, done.EventsStored, done.Problems, done.FilesDone));
        }

        var ids = await StoredIdsAsync(harness);
        Assert.Equal(Enumerable.Range(100, 900).Select(n => $"ev-{n:D8}"), ids.Order(StringComparer.Ordinal));
        await using (var scope = harness.As(Actors.System("check")))
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var origins = await db.IncidentEvents.Select(e => e.Origin).ToListAsync();
            Assert.Contains(origins, o => o!.StartsWith("accounts.zip!accounts/111122223333.tgz!AWSLogs/c.json.gz", StringComparison.Ordinal));
            Assert.Contains(origins, o => o!.StartsWith("accounts.zip!accounts/444455556666.tgz!AWSLogs/d.json", StringComparison.Ordinal));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "staging")));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Import_ResumesAfterInterruption_WithoutLossOrDuplication(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind, batchSize: 150);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var logs = Directory.CreateDirectory(Path.Combine(_root, "logs", "trail")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(logs, "a.json"), TrailLines.Lines(Enumerable.Range(0, 400)));
        await File.WriteAllBytesAsync(Path.Combine(logs, "b.json.gz"), TrailLines.Gzip(TrailLines.Lines(Enumerable.Range(400, 500))));
        await File.WriteAllBytesAsync(Path.Combine(logs, "c.json"), TrailLines.Lines(Enumerable.Range(900, 300)));
        ImportView import;
        await using (var scope = harness.As(acme.Responder))
            import = await scope.Get<EventImportService>().StartPathAsync(incident, logs);

        // Stopped after the fourth batch (mid-way through the second file), as a shutdown would.
        using var stop = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(harness, acme, import.Id, _ =>
        {
            if (++batches == 4) stop.Cancel();
        }, stop.Token));
        ImportView interrupted;
        await using (var scope = harness.As(acme.Viewer))
            interrupted = await scope.Get<EventImportService>().GetAsync(incident, import.Id);
        Assert.Equal((ImportStatus.Running, 600L, 1), (interrupted.Status, interrupted.EventsStored, interrupted.FilesDone));
        Assert.Equal(600, (await StoredIdsAsync(harness)).Count);

        await RunAsync(harness, acme, import.Id);

        ImportView resumed;
        await using (var scope = harness.As(acme.Viewer))
            resumed = await scope.Get<EventImportService>().GetAsync(incident, import.Id);
        Assert.Equal((ImportStatus.Completed, 1200L, 1200L, 0L, 3, 2), (resumed.Status, resumed.EventsRead, resumed.EventsStored, resumed.Duplicates, resumed.FilesDone, resumed.Runs));
        var ids = await StoredIdsAsync(harness);
        Assert.Equal(Enumerable.Range(0, 1200).Select(n => $"ev-{n:D8}"), ids.Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task PathImport_ReadsZipAndTarArchivesInside_ButNoneALinkLeadsOutsideTheRoots(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var logs = Directory.CreateDirectory(Path.Combine(_root, "logs", "handover")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_root, "secret")).FullName;
        static void Zip(string path, string entryName, byte[] content)
        {
            using var archive = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create);
            using var entry = archive.CreateEntry(entryName).Open();
            entry.Write(content);
        }
        Zip(Path.Combine(logs, "inside.zip"), "trail/a.json", TrailLines.Lines(Enumerable.Range(0, 30)));
        File.WriteAllBytes(Path.Combine(logs, "inside.tgz"), TrailLines.Tgz(("trail/b.json", TrailLines.Lines(Enumerable.Range(30, 5)))));
        Zip(Path.Combine(outside, "secret.zip"), "salaries/plan.json", TrailLines.Lines(Enumerable.Range(500, 7)));
        File.WriteAllBytes(Path.Combine(outside, "secret.tgz"), TrailLines.Tgz(("salaries/bonus.json", TrailLines.Lines(Enumerable.Range(600, 7)))));
        // An entry's name is no path on disk: judged by it, the link to the archive outside went unnoticed.
        File.CreateSymbolicLink(Path.Combine(logs, "escape.zip"), Path.Combine(outside, "secret.zip"));
        File.CreateSymbolicLink(Path.Combine(logs, "escape.tgz"), Path.Combine(outside, "secret.tgz"));
        ImportView import;
        await using (var scope = harness.As(acme.Responder))
            import = await scope.Get<EventImportService>().StartPathAsync(incident, logs);

        await RunAsync(harness, acme, import.Id);

        await using (var scope = harness.As(acme.Viewer))
        {
            var done = await scope.Get<EventImportService>().GetAsync(incident, import.Id);
            Assert.Equal((ImportStatus.Completed, 35L, 2L), (done.Status, done.EventsStored, done.Problems));
            // Judged before it was opened: nothing of what the archive outside holds is told.
            Assert.Matches(@"^First problem: warning: \S+/escape\.(zip|tgz): skipped: links outside", done.Error);
            Assert.DoesNotContain("salaries", done.Error);
        }
        Assert.Equal(Enumerable.Range(0, 35).Select(n => $"ev-{n:D8}"), (await StoredIdsAsync(harness)).Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task PathImport_RefusesPathsOutsideTheRoots(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var logs = Directory.CreateDirectory(Path.Combine(_root, "logs")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_root, "secret")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "x.json"), TrailLines.Record(1));
        File.CreateSymbolicLink(Path.Combine(logs, "escape"), outside);
        await using var scope = harness.As(acme.Responder);
        var imports = scope.Get<EventImportService>();
        foreach (var path in new[] { outside, Path.Combine(logs, "..", "secret"), Path.Combine(logs, "escape"), Path.Combine(logs, "escape", "x.json"),
            "/etc/passwd", "relative/path", Path.Combine(logs, "*.json"), "", Path.Combine(logs, "missing") })
        {
            var error = await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartPathAsync(incident, path));
            Assert.Contains("path", error.Errors.Keys);
        }
        await using var viewer = harness.As(acme.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<EventImportService>().StartPathAsync(incident, logs));
        Assert.Empty(await imports.ListAsync(incident));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task S3Import_ReadsEveryObjectUnderThePrefix_ThroughTheSdk(DatabaseKind kind)
    {
        await using var s3 = Firebreak.Detection.Tests.Readers.FakeS3Server.Start("trail-logs", new Dictionary<string, byte[]>
        {
            ["AWSLogs/111122223333/CloudTrail/a.json.gz"] = TrailLines.Gzip(TrailLines.Lines(Enumerable.Range(0, 120))),
            ["AWSLogs/111122223333/CloudTrail/b.json"] = TrailLines.Lines(Enumerable.Range(100, 80)),
            // A tarball put beside the trail: downloaded and read entry by entry.
            ["AWSLogs/111122223333/handover.tgz"] = TrailLines.Tgz(("older/d.json", TrailLines.Lines(Enumerable.Range(200, 30)))),
            ["elsewhere/c.json"] = TrailLines.Lines(Enumerable.Range(1000, 5)),
        }, pageSize: 1);
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
            ["Firebreak:Investigation:S3:ServiceUrl"] = s3.ServiceUrl,
            ["Firebreak:Investigation:S3:AccessKeyId"] = "AKIAFAKEFAKEFAKE0000",
            ["Firebreak:Investigation:S3:SecretAccessKey"] = "fake-secret-for-the-loopback-server",
        });
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        ImportView import;
        await using (var scope = harness.As(acme.Responder))
            import = await scope.Get<EventImportService>().StartS3Async(incident, "s3://trail-logs/AWSLogs/111122223333/");
        Assert.Equal("s3://trail-logs/AWSLogs/111122223333/", import.Source);

        await RunAsync(harness, acme, import.Id);

        await using var viewer = harness.As(acme.Viewer);
        var done = await viewer.Get<EventImportService>().GetAsync(incident, import.Id);
        Assert.Equal((ImportStatus.Completed, 230L, 210L, 20L, 3), (done.Status, done.EventsRead, done.EventsStored, done.Duplicates, done.FilesDone));
        Assert.Equal(Enumerable.Range(0, 180).Concat(Enumerable.Range(200, 30)).Select(n => $"ev-{n:D8}"), (await StoredIdsAsync(harness)).Order(StringComparer.Ordinal));
        Assert.Contains(s3.Requests, r => r.Contains("list-type=2", StringComparison.Ordinal));
        Assert.DoesNotContain(s3.Requests, r => r.Contains("elsewhere", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_MarksAnImportFailed_AfterRepeatedUnexpectedErrors_AndRunsTheNext()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
        });
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        Guid broken;
        await using (var scope = harness.As(Actors.System("setup")))
        {
            await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
            var incidentId = await db.Incidents.Where(i => i.Reference == incident).Select(i => i.Id).SingleAsync();
            // A checkpoint no run can read: every attempt ends in the same unexpected error.
            var row = new EventImport
            {
                TenantId = acme.Id, IncidentId = incidentId, Kind = ImportKind.ServerPath, Source = "/nowhere", Status = ImportStatus.Queued,
                Checkpoint = "{not json", CreatedBy = "setup", CreatedAt = harness.Time.GetUtcNow().AddMinutes(-1),
            };
            db.EventImports.Add(row);
            await db.SaveChangesAsync();
            broken = row.Id;
        }
        ImportView next;
        await using (var scope = harness.As(acme.Responder))
            next = await scope.Get<EventImportService>().StartUploadAsync(incident, "t.json", new MemoryStream(TrailLines.Lines(Enumerable.Range(0, 10))));

        await using var viewer = harness.As(acme.Viewer);
        var imports = viewer.Get<EventImportService>();
        for (var i = 0; i < 600 && (await imports.GetAsync(incident, next.Id)).Status != ImportStatus.Completed; i++) await Task.Delay(100);
        var failed = await imports.GetAsync(incident, broken);
        Assert.Equal(ImportStatus.Failed, failed.Status);
        Assert.Contains("unexpected error", failed.Error, StringComparison.Ordinal);
        Assert.Equal((ImportStatus.Completed, 10L), ((await imports.GetAsync(incident, next.Id)).Status, (await imports.GetAsync(incident, next.Id)).EventsStored));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Imports_OfAnotherTenantsIncident_AreNotFound(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        var incident = await IncidentAsync(harness, acme);
        ImportView import;
        await using (var scope = harness.As(acme.Responder))
            import = await scope.Get<EventImportService>().StartUploadAsync(incident, "t.json", new MemoryStream(TrailLines.Lines([1])));
        await using var other = harness.As(globex.Admin);
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EventImportService>().GetAsync(incident, import.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EventImportService>().StartUploadAsync(incident, "t.json", new MemoryStream(TrailLines.Lines([2]))));
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EventSearchService>().SearchAsync(incident, new EventQuery()));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Upload_RefusesEmptyAndOversizedFiles_AndLeavesNothingStaged(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
            ["Firebreak:Investigation:MaxUploadBytes"] = "1000",
        });
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        await using var scope = harness.As(acme.Responder);
        var imports = scope.Get<EventImportService>();
        await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartUploadAsync(incident, "big.json", new MemoryStream(new byte[5000])));
        await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartUploadAsync(incident, "empty.json", new MemoryStream()));
        await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartUploadAsync(incident, "", new MemoryStream(new byte[5])));
        await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartS3Async(incident, "https://bucket/prefix"));
        await Assert.ThrowsAsync<ValidationFailedException>(() => imports.StartS3Async(incident, "s3://UPPER/prefix"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "staging")));
        Assert.Empty(await imports.ListAsync(incident));
    }

    private static byte[] TrailWithTampering(int count, params int[] tampered) => System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, count).Select(n =>
        tampered.Contains(n) ? TrailLines.Record(n, operation: n % 2 == 0 ? "StopLogging" : "DeleteTrail", source: "cloudtrail.amazonaws.com") : TrailLines.Record(n))) + "\n");

    private static async Task<List<TimelineView>> CloudEntriesAsync(CoreHarness harness, HarnessTenant tenant, string incident)
    {
        await using var scope = harness.As(tenant.Viewer);
        var page = await scope.Get<TimelineService>().ListAsync(incident, new TimelineQuery { Kinds = [TimelineKind.CloudEvent], PageSize = 200 });
        return [.. page.Items];
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RuleMatchedEvents_GoOnTheTimeline_OnceAcrossResumeAndReimport(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind, batchSize: 100);
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        var trail = TrailWithTampering(300, 40, 150, 251);
        ImportView first, again;
        await using (var scope = harness.As(acme.Responder))
            first = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(trail));

        // Interrupted after the second batch: the match in it is committed with it, the third is not read yet.
        using var stop = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(harness, acme, first.Id, _ =>
        {
            if (++batches == 2) stop.Cancel();
        }, stop.Token));
        Assert.Equal(["ev-00000040", "ev-00000150"], (await CloudEntriesAsync(harness, acme, incident)).Select(e => e.SourceId));
        await RunAsync(harness, acme, first.Id);
        await using (var scope = harness.As(acme.Responder))
            again = await scope.Get<EventImportService>().StartUploadAsync(incident, "same-trail.json", new MemoryStream(trail));
        await RunAsync(harness, acme, again.Id);

        var entries = await CloudEntriesAsync(harness, acme, incident);
        Assert.Equal(["ev-00000040", "ev-00000150", "ev-00000251"], entries.Select(e => e.SourceId));
        var stop40 = entries[0];
        Assert.StartsWith("CloudTrail Trail Stopped", stop40.Title);
        Assert.Contains("StopLogging by arn:aws:iam::111122223333:user/user0", stop40.Title);
        Assert.Equal(("defense-evasion", "T1562.008", true, null), (stop40.Tactic, stop40.Technique, stop40.KeyEvent, stop40.Author));
        Assert.StartsWith("rule:", stop40.Source);
        Assert.NotNull(stop40.EventId);
        Assert.Equal(TrailLines.Start.AddSeconds(40), stop40.EventTime);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RuleMatchedEvents_StopAtTheIncidentsLimit_AndCanBeTurnedOff(DatabaseKind kind)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
            ["Firebreak:Investigation:MaxRuleEntriesPerIncident"] = "2",
        };
        await using (var harness = await CoreHarness.CreateAsync(kind, settings))
        {
            var acme = await harness.CreateTenantAsync("Acme");
            var incident = await IncidentAsync(harness, acme);
            ImportView import;
            await using (var scope = harness.As(acme.Responder))
                import = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(TrailWithTampering(50, 3, 7, 9, 11)));
            await RunAsync(harness, acme, import.Id);
            Assert.Equal(["ev-00000003", "ev-00000007"], (await CloudEntriesAsync(harness, acme, incident)).Select(e => e.SourceId));
        }

        settings["Firebreak:Investigation:MatchRules"] = "false";
        await using (var harness = await CoreHarness.CreateAsync(kind, settings))
        {
            var acme = await harness.CreateTenantAsync("Acme");
            var incident = await IncidentAsync(harness, acme);
            ImportView import;
            await using (var scope = harness.As(acme.Responder))
                import = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(TrailWithTampering(50, 3, 7)));
            await RunAsync(harness, acme, import.Id);
            Assert.Empty(await CloudEntriesAsync(harness, acme, incident));
        }
    }
}
