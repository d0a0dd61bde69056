using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class DataLossCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-cli-dataloss-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Record(int n, string operation, object request, string? bucket = null, double? bytes = null) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"cli-dl-{n}-{Guid.NewGuid():n}",
        ["eventTime"] = $"2026-03-10T08:{n:D2}:00Z",
        ["eventSource"] = bucket is null ? "secretsmanager.amazonaws.com" : "s3.amazonaws.com",
        ["eventName"] = operation,
        ["awsRegion"] = "eu-west-1",
        ["sourceIPAddress"] = "203.0.113.66",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/ci-deploy", accessKeyId = "AKIAIOSFODNN7EXAMPLE", accountId = "111122223333" },
        ["requestParameters"] = request,
        ["additionalEventData"] = bytes is null ? null : new { bytesTransferredOut = bytes },
        ["resources"] = bucket is null ? null : new object[]
        {
            new Dictionary<string, string> { ["type"] = "AWS::S3::Object", ["ARN"] = $"arn:aws:s3:::{bucket}/obj-{n}" },
            new Dictionary<string, string> { ["type"] = "AWS::S3::Bucket", ["ARN"] = $"arn:aws:s3:::{bucket}" },
        },
    });

    [Fact]
    public async Task DataLoss_RunsShowsAndPrintsJson_WithTheAssetRegister()
    {
        var added = await server.RunWithKeyAsync(server.ManagerKey, "asset", "add", "arn:aws:s3:::cli-payroll-*", "--name", "Payroll", "--classification", "restricted",
            "--personal-data", "--regulation", "gdpr", "--owner", "hr-it");
        Assert.True(added.ExitCode == 0, added.ToString());
        var list = await server.RunAsync("asset", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("cli-payroll-*", list.Out);

        var incident = await server.CreateIncidentAsync("Payroll bucket read");
        var file = Path.Combine(_folder, "trail.json");
        await File.WriteAllLinesAsync(file,
        [
            Record(0, "GetObject", new { bucketName = "cli-payroll-2026", key = "obj-0" }, "cli-payroll-2026", 1500.0),
            Record(1, "GetObject", new { bucketName = "cli-payroll-2026", key = "obj-1" }, "cli-payroll-2026", 2500.0),
            Record(2, "GetSecretValue", new { secretId = "prod/db" }),
        ], TestContext.Current.CancellationToken);
        var import = await server.RunAsync("incident", "events", "import", incident, file);
        Assert.True(import.ExitCode == 0, import.ToString());

        var before = await server.RunAsync("incident", "data-loss", incident);
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Contains("Not assessed yet", before.Out);

        var run = await server.RunAsync("incident", "data-loss", incident, "--run");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("arn:aws:s3:::cli-payroll-2026", run.Out);
        Assert.Contains("3.9 KiB", run.Out);
        Assert.Contains("GDPR Art. 33", run.Out);

        var json = await server.RunAsync("incident", "data-loss", incident, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Out);
        var bucket = doc.RootElement.GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("resource").GetString() == "arn:aws:s3:::cli-payroll-2026");
        Assert.Equal((2, 4000, "restricted"), (bucket.GetProperty("objects").GetInt32(), bucket.GetProperty("bytes").GetInt32(), bucket.GetProperty("classification").GetString()));

        var removed = await server.RunWithKeyAsync(server.ManagerKey, "asset", "remove", "arn:aws:s3:::cli-payroll-*");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.DoesNotContain("cli-payroll-*", (await server.RunAsync("asset", "list")).Out);
    }

    [Fact]
    public async Task BadInput_IsAUsageErrorOrARefusal()
    {
        var badClass = await server.RunWithKeyAsync(server.ManagerKey, "asset", "add", "arn:aws:s3:::x", "--name", "x", "--classification", "secret");
        Assert.Equal(ExitCodes.Usage, badClass.ExitCode);
        Assert.Contains("--classification", badClass.Err);
        var noName = await server.RunWithKeyAsync(server.ManagerKey, "asset", "add", "arn:aws:s3:::x", "--classification", "internal");
        Assert.Equal(ExitCodes.Usage, noName.ExitCode);
        var badPattern = await server.RunWithKeyAsync(server.ManagerKey, "asset", "add", "***", "--name", "x", "--classification", "internal");
        Assert.Equal(ExitCodes.Usage, badPattern.ExitCode);
        Assert.Contains("pattern", badPattern.Err);
        var responder = await server.RunAsync("asset", "add", "arn:aws:s3:::y", "--name", "y", "--classification", "internal");
        Assert.Equal(ExitCodes.Refused, responder.ExitCode);
        var unknown = await server.RunWithKeyAsync(server.ManagerKey, "asset", "remove", "arn:aws:s3:::never-added");
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);

        var missing = await server.RunAsync("incident", "data-loss", "INC-1999-9999", "--run");
        Assert.Equal(ExitCodes.Refused, missing.ExitCode);
        var incident = await server.CreateIncidentAsync("Viewer cannot assess");
        var viewer = await server.CreateApiKeyAsync("viewer");
        var forbidden = await server.RunWithKeyAsync(viewer, "incident", "data-loss", incident, "--run");
        Assert.Equal(ExitCodes.Refused, forbidden.ExitCode);
        Assert.Contains("Forbidden", forbidden.Err);
    }
}
