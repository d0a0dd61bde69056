using Firebreak.Cloud.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cloud.Tests.Azure;

public class AzureSettingsTests
{
    private const string Subscription = "8f2d1c3e-5a6b-4c7d-9e8f-0a1b2c3d4e5f";

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Defaults_ArePublicAzure_AndAnAccountWithoutASecretUsesTheManagedIdentity()
    {
        var settings = AzureSettings.From(Settings(($"Firebreak:Azure:Subscriptions:{Subscription}:TenantId", "6b1f0a2e-0000-4000-8000-000000000001")));

        Assert.Equal("https://management.azure.com/", settings.ResourceManagerUrl.ToString());
        Assert.Equal("https://management.azure.com", settings.ResourceManagerAudience);
        Assert.Equal("https://graph.microsoft.com/v1.0/", settings.GraphUrl.ToString());
        Assert.Equal("https://login.microsoftonline.com/", settings.AuthorityHost.ToString());
        var account = settings.Subscriptions[Subscription];
        Assert.Equal(AzureCredentialKind.ManagedIdentity, account.Credential);
        Assert.Equal(Guid.Parse("6b1f0a2e-0000-4000-8000-000000000001"), account.TenantId);
        Assert.Empty(settings.Directories);
        // The whole module starts with Azure configured and nothing else.
        Assert.Equal(5, new ServiceCollection().AddFirebreakCloud(Settings()).BuildServiceProvider().GetServices<Firebreak.Core.Response.IResponseAction>()
            .Count(a => a.Definition.Provider == "azure"));
    }

    [Theory]
    [InlineData("Firebreak:Azure:ResourceManagerUrl", "http://management.azure.com/", "must be an absolute https URL")]
    [InlineData("Firebreak:Azure:AuthorityHost", "not a url", "must be an absolute https URL")]
    [InlineData("Firebreak:Azure:Subscriptions:production:Credential", "managed-identity", "must be a subscription id")]
    [InlineData($"Firebreak:Azure:Subscriptions:{Subscription}:Credential", "password", "is not a credential")]
    [InlineData($"Firebreak:Azure:Subscriptions:{Subscription}:Credential", "client-secret", "needs DirectoryId, ClientId and ProtectedClientSecret")]
    [InlineData($"Firebreak:Azure:Subscriptions:{Subscription}:TenantId", "acme", "must be a Firebreak tenant id")]
    [InlineData("Firebreak:Azure:Directories:contoso.onmicrosoft.com:Credential", "managed-identity", "must be a directory (Entra tenant) id")]
    public void BadSettings_FailAtStart(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFirebreakCloud(Settings((key, value))));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void APlainClientSecret_IsRefused_WithoutEchoingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AzureSettings.From(Settings(
            ($"Firebreak:Azure:Subscriptions:{Subscription}:ClientSecret", "kV8Q~plain-secret-in-config"))));

        Assert.Contains("ProtectedClientSecret", error.Message);
        Assert.DoesNotContain("kV8Q~plain-secret-in-config", error.Message);
    }
}
