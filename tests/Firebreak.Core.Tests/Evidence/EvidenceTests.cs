using System.Security.Cryptography;
using System.Text;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Evidence;

public class EvidenceTests
{
    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AddedFile_IsHashedStoredWriteOnce_AndVerifies(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Compromised instance"));
        var evidence = scope.Get<EvidenceService>();
        const string content = "ip-10-0-0-12 syslog excerpt\n";

        var item = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("syslog.txt", EvidenceKind.File, "i-0abc123 /var/log/syslog"), Bytes(content));
        var again = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("copy.txt", EvidenceKind.File, "analyst laptop"), Bytes(content));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), item.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(content))), item.Sha1);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(content))), item.Md5);
        Assert.Equal(content.Length, item.Size);
        Assert.Equal("responder@acme.example", item.CollectedBy);
        Assert.Equal(item.Sha256, again.Sha256);
        var store = (LocalEvidenceStore)scope.Get<IEvidenceStore>();
        Assert.True(File.GetAttributes(store.PathFor(item.Sha256!)).HasFlag(FileAttributes.ReadOnly));
        var custody = await evidence.ListCustodyAsync(incident.Reference);
        Assert.Equal([1, 2], custody.Select(c => c.Sequence));
        Assert.All(custody, c => Assert.Equal(CustodyEvent.Collected, c.Event));
        Assert.Equal(custody[0].Hash, custody[1].PreviousHash);
        Assert.True((await evidence.VerifyAsync(incident.Reference)).Ok);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Verify_NamesTheAlteredFile_AndTheAlteredEntry(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Tamper test"));
        var evidence = scope.Get<EvidenceService>();
        var good = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("a.bin", EvidenceKind.MemoryImage, "host-a"), Bytes("memory image A"));
        var bad = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("b.bin", EvidenceKind.File, "host-b"), Bytes("original bytes B"));
        await evidence.RecordAsync(good.Id, new RecordCustody(CustodyEvent.Transferred, "SOC safe", "to forensics", "dana@acme.example"));

        var path = ((LocalEvidenceStore)scope.Get<IEvidenceStore>()).PathFor(bad.Sha256!);
        File.SetAttributes(path, FileAttributes.Normal);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[3] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            await db.CustodyEntries.Where(e => e.Sequence == 3).ExecuteUpdateAsync(s => s.SetProperty(e => e.Reason, "nothing to see"));
        }

        var report = await evidence.VerifyAsync(incident.Reference);
        Assert.False(report.Ok);
        Assert.True(report.Items.Single(i => i.Id == good.Id).Ok);
        var altered = report.Items.Single(i => i.Id == bad.Id);
        Assert.False(altered.Ok);
        Assert.Equal("SHA-256 does not match", altered.Problem);
        var problem = Assert.Single(report.Chain);
        Assert.Equal(3, problem.Sequence);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ConcurrentAppends_KeepOneValidChain(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        IncidentDetails incident;
        EvidenceView item;
        await using (var scope = harness.As(acme.Responder))
        {
            incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Busy chain"));
            item = await scope.Get<EvidenceService>().AddFileAsync(incident.Reference, new AddEvidenceFile("disk.img", EvidenceKind.File, "vol-1"), Bytes("disk"));
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            await using var scope = harness.As(acme.Responder);
            await scope.Get<EvidenceService>().RecordAsync(item.Id, new RecordCustody(CustodyEvent.Accessed, "lab", $"review {i}"));
        }));

        await using var check = harness.As(acme.Viewer);
        var custody = await check.Get<EvidenceService>().ListCustodyAsync(incident.Reference);
        Assert.Equal(Enumerable.Range(1, 17), custody.Select(c => c.Sequence));
        Assert.True((await check.Get<EvidenceService>().VerifyAsync(incident.Reference)).Ok);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task InterruptedOrOversizedUpload_LeavesNothingBehind(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?> { ["Firebreak:Evidence:MaxUploadBytes"] = "1000" });
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Uploads"));
        var evidence = scope.Get<EvidenceService>();

        await Assert.ThrowsAsync<IOException>(() => evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("cut.bin", EvidenceKind.File, "x"), new BreakingStream(600)));
        await Assert.ThrowsAsync<ValidationFailedException>(() => evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("big.bin", EvidenceKind.File, "x"), new MemoryStream(new byte[1001])));

        Assert.Empty(await evidence.ListAsync(incident.Reference));
        var root = ((LocalEvidenceStore)scope.Get<IEvidenceStore>()).Root;
        Assert.Empty(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Custody_RulesHold_AndTenantsAndRolesAreRespected(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Snapshots"));
        var evidence = scope.Get<EvidenceService>();
        var snapshot = await evidence.AddSnapshotAsync(incident.Reference,
            new AddSnapshotReference("root volume", "snap-0123456789abcdef0", "eu-west-1", "123456789012", "vol-0abc", "aws.snapshot-volumes"));

        Assert.Equal(EvidenceKind.Snapshot, snapshot.Kind);
        Assert.Null(snapshot.Sha256);
        await Assert.ThrowsAsync<ValidationFailedException>(() => evidence.RecordAsync(snapshot.Id, new RecordCustody(CustodyEvent.Transferred, "vault", "handover")));
        await Assert.ThrowsAsync<ConflictException>(() => evidence.OpenAsync(snapshot.Id, "look"));
        var custody = await evidence.RecordAsync(snapshot.Id, new RecordCustody(CustodyEvent.Transferred, "vault", "handover", "legal@acme.example"));
        Assert.Equal("legal@acme.example", (await evidence.GetAsync(snapshot.Id)).Holder);
        await evidence.RecordAsync(snapshot.Id, new RecordCustody(CustodyEvent.Disposed, "vault", "retention ended"));
        await Assert.ThrowsAsync<ConflictException>(() => evidence.RecordAsync(snapshot.Id, new RecordCustody(CustodyEvent.Accessed, "vault", "late")));

        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<EvidenceService>().AddFileAsync(incident.Reference, new AddEvidenceFile("x", EvidenceKind.File, "x"), Bytes("x")));
        await using var other = harness.As(globex.Admin);
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EvidenceService>().GetAsync(snapshot.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EvidenceService>().RecordAsync(snapshot.Id, new RecordCustody(CustodyEvent.Accessed, "x", "x")));
        await Assert.ThrowsAsync<NotFoundException>(() => other.Get<EvidenceService>().ListCustodyAsync(incident.Id.ToString()));
    }

    /// <summary>A client that disconnects part-way through an upload.</summary>
    private sealed class BreakingStream(int breakAfter) : Stream
    {
        private int _sent;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_sent >= breakAfter) throw new IOException("The client went away.");
            var n = Math.Min(count, Math.Min(100, breakAfter - _sent + 1));
            _sent += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _sent; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public class EvidenceBundleTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Export_WritesAVerifiableBundle_RecordsTheExport_AndTamperingIsDetected(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Bundle"));
        var evidence = scope.Get<EvidenceService>();
        await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("cloudtrail.json.gz", EvidenceKind.LogSet, "s3://trail/AWSLogs"), new MemoryStream(Encoding.UTF8.GetBytes("{\"Records\":[]}")));
        await evidence.AddSnapshotAsync(incident.Reference, new AddSnapshotReference("root", "snap-0abc", "eu-west-1", "123456789012"));

        using var zip = new MemoryStream();
        await evidence.ExportAsync(incident.Reference, "hand to outside counsel", zip);

        var custody = await evidence.ListCustodyAsync(incident.Reference);
        Assert.Equal(2, custody.Count(c => c.Event == CustodyEvent.Exported));
        zip.Position = 0;
        var report = await EvidenceBundle.VerifyAsync(zip);
        Assert.True(report.Ok, string.Join("; ", report.Items.Where(i => !i.Ok).Select(i => i.Problem).Concat(report.Chain.Select(c => c.Problem))));

        var tampered = await RewriteAsync(zip.ToArray(), "custody.json", text => text.Replace("hand to outside counsel", "hand to someone else", StringComparison.Ordinal));
        var chainReport = await EvidenceBundle.VerifyAsync(new MemoryStream(tampered));
        Assert.False(chainReport.Ok);
        Assert.Equal([3, 4], chainReport.Chain.Select(c => c.Sequence).Distinct());

        var badFile = await RewriteFileAsync(zip.ToArray());
        var fileReport = await EvidenceBundle.VerifyAsync(new MemoryStream(badFile));
        Assert.Equal("SHA-256 does not match", Assert.Single(fileReport.Items, i => !i.Ok).Problem);
    }

    private static async Task<byte[]> RewriteAsync(byte[] zip, string name, Func<string, string> change)
    {
        using var copy = new MemoryStream();
        copy.Write(zip);
        using (var archive = new System.IO.Compression.ZipArchive(copy, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.GetEntry(name)!;
            string text;
            using (var reader = new StreamReader(await entry.OpenAsync())) text = await reader.ReadToEndAsync();
            entry.Delete();
            await using var writer = new StreamWriter(await archive.CreateEntry(name).OpenAsync());
            await writer.WriteAsync(change(text));
        }
        return copy.ToArray();
    }

    private static async Task<byte[]> RewriteFileAsync(byte[] zip)
    {
        using var copy = new MemoryStream();
        copy.Write(zip);
        using (var archive = new System.IO.Compression.ZipArchive(copy, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.Entries.Single(e => e.FullName.StartsWith("files/", StringComparison.Ordinal));
            var name = entry.FullName;
            byte[] bytes;
            await using (var s = await entry.OpenAsync())
            {
                using var m = new MemoryStream();
                await s.CopyToAsync(m);
                bytes = m.ToArray();
            }
            bytes[0] ^= 0x20;
            entry.Delete();
            await using var target = await archive.CreateEntry(name).OpenAsync();
            await target.WriteAsync(bytes);
        }
        return copy.ToArray();
    }
}
