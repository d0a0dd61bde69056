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
}
