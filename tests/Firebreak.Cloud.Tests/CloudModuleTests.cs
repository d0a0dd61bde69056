using Amazon.S3;
using Firebreak.Cloud;
using Firebreak.Cloud.Evidence;
using Firebreak.Core.Evidence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cloud.Tests;

public class CloudModuleTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static IEvidenceStore StoreFor(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEvidenceStore>(new LocalEvidenceStore(Path.GetTempPath()));
        Assert.Same(services, services.AddFirebreakCloud(configuration));
        return services.BuildServiceProvider().GetRequiredService<IEvidenceStore>();
    }

    [Fact]
    public void EvidenceStore_StaysLocal_ByDefaultOrWhenAskedFor()
    {
        Assert.IsType<LocalEvidenceStore>(StoreFor(Settings()));
        Assert.IsType<LocalEvidenceStore>(StoreFor(Settings(("Firebreak:Evidence:Store", "local"))));
    }

    [Fact]
    public void EvidenceStore_IsS3_WhenConfigured_WithTheClientSettingsGiven()
    {
        var store = Assert.IsType<S3EvidenceStore>(StoreFor(Settings(
            ("Firebreak:Evidence:Store", "S3"),
            ("Firebreak:Evidence:S3:Bucket", "acme-evidence"),
            ("Firebreak:Evidence:S3:Prefix", "/firebreak/evidence"),
            ("Firebreak:Evidence:S3:Region", "eu-central-1"),
            ("Firebreak:Evidence:S3:ServiceUrl", "https://minio.internal.example:9000"),
            ("Firebreak:Evidence:S3:ForcePathStyle", "true"))));

        Assert.Equal("acme-evidence", store.Bucket);
        Assert.Equal("firebreak/evidence/ab/cd/abcd" + new string('0', 60), store.KeyFor("abcd" + new string('0', 60)));
        var options = S3EvidenceStoreOptions.From(Settings(("Firebreak:Evidence:S3:Bucket", "b"), ("Firebreak:Evidence:S3:Region", "eu-central-1")));
        var config = options.ClientConfig();
        Assert.Equal("eu-central-1", config.RegionEndpoint?.SystemName);
        Assert.False(config.ForcePathStyle);
    }

    [Theory]
    [InlineData("Firebreak:Evidence:S3:Region", "eu-west-1", "Bucket is required")]
    [InlineData("Firebreak:Evidence:S3:Bucket", "b", "Region (or ServiceUrl) is required")]
    public void EvidenceStore_S3_WithMissingSettings_FailsAtStart(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreFor(Settings(("Firebreak:Evidence:Store", "s3"), (key, value))));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("AccessKeyId")]
    [InlineData("SecretAccessKey")]
    public void EvidenceStore_S3_RefusesCredentialsInConfiguration_WithoutEchoingThem(string key)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreFor(Settings(("Firebreak:Evidence:Store", "s3"),
            ("Firebreak:Evidence:S3:Bucket", "b"), ("Firebreak:Evidence:S3:Region", "eu-west-1"), ($"Firebreak:Evidence:S3:{key}", "wJalrXUtnFEMIexample"))));
        Assert.Contains("default chain", error.Message);
        Assert.DoesNotContain("wJalrXUtnFEMIexample", error.Message);
    }

    [Theory]
    [InlineData("Firebreak:Evidence:Store", "azure", "not a store")]
    [InlineData("Firebreak:Evidence:S3:PartSizeMiB", "1", "PartSizeMiB")]
    [InlineData("Firebreak:Evidence:S3:ServiceUrl", "ftp://x", "ServiceUrl")]
    public void EvidenceStore_BadSettings_FailAtStart(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Firebreak:Evidence:Store"] = "s3",
            ["Firebreak:Evidence:S3:Bucket"] = "b",
            ["Firebreak:Evidence:S3:Region"] = "eu-west-1",
            [key] = value,
        };
        var error = Assert.Throws<InvalidOperationException>(() => StoreFor(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("Firebreak:Gcp:ComputeUrl", "ftp://compute.example")]
    [InlineData("Firebreak:Gcp:TokenUrl", "not a url")]
    public void GcpEndpoints_Malformed_FailAtStart(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFirebreakCloud(Settings((key, value))));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void GcpActions_AreInTheCatalogue_WithProjectAndZoneOrGlobalPatterns()
    {
        var services = new ServiceCollection().AddLogging().AddFirebreakCloud(Settings()).BuildServiceProvider();
        var gcp = services.GetServices<Firebreak.Core.Response.IResponseAction>().Select(a => a.Definition).Where(d => d.Provider == "gcp").ToDictionary(d => d.Name);

        Assert.Equal(["gcp-deny-all-firewall", "gcp-disable-service-account", "gcp-disable-service-account-key", "gcp-reset-external-ip", "gcp-snapshot-disks"], gcp.Keys.Order());
        Assert.Equal("^global$", gcp["gcp-disable-service-account"].RegionPattern);
        Assert.Matches(gcp["gcp-snapshot-disks"].RegionPattern, "europe-west1-b");
        Assert.DoesNotMatch(gcp["gcp-snapshot-disks"].RegionPattern, "europe-west1");
        Assert.Matches(gcp["gcp-deny-all-firewall"].AccountPattern, "acme-prod");
        Assert.DoesNotMatch(gcp["gcp-deny-all-firewall"].AccountPattern, "123456789012");
        Assert.Matches(gcp["gcp-disable-service-account-key"].ResourcePattern, "projects/acme-prod/serviceAccounts/ci@acme-prod.iam.gserviceaccount.com/keys/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b");
        Assert.DoesNotMatch(gcp["gcp-disable-service-account"].ResourcePattern, "projects/acme-prod/serviceAccounts/../../x");
    }
}
