using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.ResourceManager;
using Firebreak.Core.Common;
using Firebreak.Core.Response;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Graph;
using Microsoft.Kiota.Authentication.Azure;

namespace Firebreak.Cloud.Azure;

/// <summary>How Firebreak gets a token for one subscription or directory.</summary>
internal enum AzureCredentialKind
{
    /// <summary>The server's managed identity (system-assigned, or user-assigned by ClientId). No secret anywhere.</summary>
    ManagedIdentity,

    /// <summary>A federated token file (Kubernetes workload identity) exchanged for a token. No secret anywhere.</summary>
    WorkloadIdentity,

    /// <summary>An app registration's client secret, kept only in Data Protection's protected form.</summary>
    ClientSecret,
}

/// <summary>
/// One subscription (ARM actions) or Entra directory (Graph actions) Firebreak may act in: the credential it uses
/// there and, optionally, the Firebreak tenant it belongs to.
/// </summary>
internal sealed record AzureAccount(string Id, AzureCredentialKind Credential, string? DirectoryId, string? ClientId, string? ProtectedClientSecret,
    string? TokenFilePath, Guid? TenantId);

internal sealed class AzureSettings
{
    public const string Section = "Firebreak:Azure";

    public Uri ResourceManagerUrl { get; init; } = new("https://management.azure.com/");
    /// <summary>The token audience, without a trailing slash: the scope is the audience plus "/.default".</summary>
    public string ResourceManagerAudience { get; init; } = "https://management.azure.com";
    public Uri GraphUrl { get; init; } = new("https://graph.microsoft.com/v1.0/");
    public string GraphAudience { get; init; } = "https://graph.microsoft.com";
    public Uri AuthorityHost { get; init; } = AzureAuthorityHosts.AzurePublicCloud;
    public int MaxRetries { get; init; } = 4;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>How long a run waits for one ARM long-running operation (a network security group, a snapshot) to finish.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public IReadOnlyDictionary<string, AzureAccount> Subscriptions { get; init; } = new Dictionary<string, AzureAccount>();
    public IReadOnlyDictionary<string, AzureAccount> Directories { get; init; } = new Dictionary<string, AzureAccount>();

    public static AzureSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var arm = Url(section, "ResourceManagerUrl", "https://management.azure.com/");
        var graph = Url(section, "GraphUrl", "https://graph.microsoft.com/v1.0/");
        return new AzureSettings
        {
            ResourceManagerUrl = arm,
            ResourceManagerAudience = (section["ResourceManagerAudience"] is { Length: > 0 } audience ? audience : arm.GetLeftPart(UriPartial.Authority)).TrimEnd('/'),
            GraphUrl = graph,
            GraphAudience = (section["GraphAudience"] is { Length: > 0 } graphAudience ? graphAudience : graph.GetLeftPart(UriPartial.Authority)).TrimEnd('/'),
            AuthorityHost = Url(section, "AuthorityHost", AzureAuthorityHosts.AzurePublicCloud.ToString()),
            MaxRetries = section.GetValue("MaxRetries", 4),
            RetryDelay = TimeSpan.FromMilliseconds(section.GetValue("RetryDelayMilliseconds", 800)),
            OperationTimeout = TimeSpan.FromSeconds(section.GetValue("OperationTimeoutSeconds", 300)),
            Subscriptions = Accounts(section.GetSection("Subscriptions"), directoryFromKey: false),
            Directories = Accounts(section.GetSection("Directories"), directoryFromKey: true),
        };
    }

    private static Dictionary<string, AzureAccount> Accounts(IConfigurationSection section, bool directoryFromKey)
    {
        var accounts = new Dictionary<string, AzureAccount>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetChildren())
        {
            var where = $"{entry.Path}";
            if (!Guid.TryParse(entry.Key, out var id))
                throw new InvalidOperationException($"{where}: the key must be a {(directoryFromKey ? "directory (Entra tenant)" : "subscription")} id (a GUID).");
            var kind = entry["Credential"]?.Trim().ToLowerInvariant() switch
            {
                null or "" => entry["ProtectedClientSecret"] is { Length: > 0 } ? AzureCredentialKind.ClientSecret : AzureCredentialKind.ManagedIdentity,
                "managed-identity" => AzureCredentialKind.ManagedIdentity,
                "workload-identity" => AzureCredentialKind.WorkloadIdentity,
                "client-secret" => AzureCredentialKind.ClientSecret,
                var other => throw new InvalidOperationException($"{where}:Credential '{other}' is not a credential: use managed-identity, workload-identity or client-secret."),
            };
            var directory = directoryFromKey ? id.ToString() : entry["DirectoryId"];
            if (kind == AzureCredentialKind.ClientSecret && (directory is null || entry["ClientId"] is not { Length: > 0 } || entry["ProtectedClientSecret"] is not { Length: > 0 }))
                throw new InvalidOperationException($"{where}: a client-secret credential needs DirectoryId, ClientId and ProtectedClientSecret.");
            if (entry["ClientSecret"] is { Length: > 0 })
                throw new InvalidOperationException($"{where}: a plain ClientSecret is not accepted; store it protected as ProtectedClientSecret (see docs/response.md).");
            Guid? tenant = null;
            if (entry["TenantId"] is { Length: > 0 } t)
                tenant = Guid.TryParse(t, out var parsed) ? parsed : throw new InvalidOperationException($"{where}:TenantId must be a Firebreak tenant id (a GUID).");
            accounts[id.ToString()] = new AzureAccount(id.ToString(), kind, directory, entry["ClientId"], entry["ProtectedClientSecret"], entry["TokenFilePath"], tenant);
        }
        return accounts;
    }

    private static Uri Url(IConfigurationSection section, string key, string fallback)
    {
        var value = section[key] is { Length: > 0 } v ? v : fallback;
        if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new InvalidOperationException($"{Section}:{key} must be an absolute https URL; bearer tokens are never sent in clear.");
        return uri;
    }
}

/// <summary>The clients of one subscription (ARM) or one directory (Graph), each on the account's credential and the shared HTTP stack.</summary>
internal sealed class AzureSession(ArmClient? arm, ArmRest? rest, GraphServiceClient? graph)
{
    public ArmClient Arm => arm ?? throw new InvalidOperationException("A directory session has no ARM client.");
    public ArmRest Rest => rest ?? throw new InvalidOperationException("A directory session has no ARM client.");
    public GraphServiceClient Graph => graph ?? throw new InvalidOperationException("A subscription session has no Graph client.");
}

/// <summary>
/// Opens sessions: one token credential per configured account (managed identity, workload identity, or a client
/// secret unprotected only in memory), cached so the credential's own token cache is reused. Every client goes
/// through the named HTTP client "azure", with Azure.Core's retry (Retry-After honoured) or Graph's retry handler.
/// </summary>
internal sealed class AzureSessions(AzureSettings settings, IHttpClientFactory httpClients, IHttpMessageHandlerFactory handlers, IDataProtectionProvider protection)
{
    public const string ProtectionPurpose = "Firebreak.Cloud.Azure.ClientSecret";
    public const string HttpClientName = "azure";

    private readonly ConcurrentDictionary<string, TokenCredential> _credentials = new(StringComparer.OrdinalIgnoreCase);

    public AzureSettings Settings => settings;

    /// <summary>A session for the ARM actions: the target's account is a subscription id.</summary>
    public AzureSession OpenSubscription(ActionTarget target)
    {
        var account = Find(settings.Subscriptions, target, "subscription", "Subscriptions");
        var credential = Credential("subscription:" + account.Id, account);
        var options = new ArmClientOptions
        {
            Environment = new ArmEnvironment(settings.ResourceManagerUrl, settings.ResourceManagerAudience),
            Transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName)),
        };
        Retry(options);
        var pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, Scope(settings.ResourceManagerAudience)));
        return new AzureSession(new ArmClient(credential, account.Id, options), new ArmRest(pipeline, settings.ResourceManagerUrl, settings.OperationTimeout), null);
    }

    /// <summary>A session for the Graph actions: the target's account is the Entra directory (tenant) id.</summary>
    public AzureSession OpenDirectory(ActionTarget target)
    {
        var account = Find(settings.Directories, target, "directory", "Directories");
        var credential = Credential("directory:" + account.Id, account);
        var http = GraphClientFactory.Create(GraphClientFactory.CreateDefaultHandlers(), finalHandler: handlers.CreateHandler(HttpClientName));
        http.BaseAddress = settings.GraphUrl;
        var auth = new AzureIdentityAuthenticationProvider(credential, [settings.GraphUrl.Host], null, true, Scope(settings.GraphAudience));
        return new AzureSession(null, null, new GraphServiceClient(http, auth, settings.GraphUrl.ToString().TrimEnd('/')));
    }

    private static AzureAccount Find(IReadOnlyDictionary<string, AzureAccount> accounts, ActionTarget target, string what, string key)
    {
        if (!accounts.TryGetValue(target.Account, out var account) || (account.TenantId is { } tenant && tenant != target.TenantId))
            throw new ValidationFailedException("account", $"Azure {what} {target.Account} is not configured for response actions (Firebreak:Azure:{key}).");
        return account;
    }

    private TokenCredential Credential(string key, AzureAccount account) => _credentials.GetOrAdd(key, _ =>
    {
        var transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName));
        // Instance discovery only knows Microsoft's own hosts; an overridden authority host (a sovereign proxy, a test endpoint) is trusted as configured.
        var custom = !IsKnownAuthority(settings.AuthorityHost);
        return account.Credential switch
        {
            AzureCredentialKind.ClientSecret => new ClientSecretCredential(account.DirectoryId, account.ClientId,
                protection.CreateProtector(ProtectionPurpose).Unprotect(account.ProtectedClientSecret!),
                Retry(new ClientSecretCredentialOptions { AuthorityHost = settings.AuthorityHost, Transport = transport, DisableInstanceDiscovery = custom })),
            AzureCredentialKind.WorkloadIdentity => new WorkloadIdentityCredential(Retry(new WorkloadIdentityCredentialOptions
            {
                AuthorityHost = settings.AuthorityHost,
                Transport = transport,
                DisableInstanceDiscovery = custom,
                TenantId = account.DirectoryId ?? Environment.GetEnvironmentVariable("AZURE_TENANT_ID"),
                ClientId = account.ClientId ?? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
                TokenFilePath = account.TokenFilePath ?? Environment.GetEnvironmentVariable("AZURE_FEDERATED_TOKEN_FILE"),
            })),
            _ => new ManagedIdentityCredential(account.ClientId is { Length: > 0 } clientId ? ManagedIdentityId.FromUserAssignedClientId(clientId) : ManagedIdentityId.SystemAssigned),
        };
    });

    private static bool IsKnownAuthority(Uri host) =>
        host == AzureAuthorityHosts.AzurePublicCloud || host == AzureAuthorityHosts.AzureGovernment || host == AzureAuthorityHosts.AzureChina;

    private T Retry<T>(T options) where T : ClientOptions
    {
        options.Retry.MaxRetries = settings.MaxRetries;
        options.Retry.Delay = settings.RetryDelay;
        options.Retry.Mode = RetryMode.Exponential;
        return options;
    }

    private static string Scope(string audience) => audience + "/.default";
}
