using System.Collections.Concurrent;
using Amazon;
using Amazon.EC2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Firebreak.Core.Common;
using Firebreak.Core.Response;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// One AWS account Firebreak may act in: the role it assumes there (with the external ID the account's trust
/// policy requires) and, optionally, the tenant it belongs to. No long-lived key is needed: the server's own
/// identity (instance role, workload identity, environment) assumes the role. When a key must be stored, its
/// secret is kept only in Data Protection's protected form.
/// </summary>
internal sealed record AwsAccount(string Id, string RoleArn, string? ExternalId, Guid? TenantId, string? AccessKeyId, string? ProtectedSecretAccessKey);

internal sealed class AwsSettings
{
    public const string Section = "Firebreak:Aws";

    public string? ServiceUrl { get; init; }
    public int MaxRetries { get; init; } = 4;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public string SessionName { get; init; } = "firebreak-response";
    public IReadOnlyDictionary<string, AwsAccount> Accounts { get; init; } = new Dictionary<string, AwsAccount>();

    public static AwsSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var accounts = new Dictionary<string, AwsAccount>(StringComparer.Ordinal);
        foreach (var account in section.GetSection("Accounts").GetChildren())
        {
            accounts[account.Key] = new AwsAccount(account.Key, account["RoleArn"] ?? "", account["ExternalId"],
                Guid.TryParse(account["TenantId"], out var tenant) ? tenant : null, account["AccessKeyId"], account["ProtectedSecretAccessKey"]);
        }
        return new AwsSettings
        {
            ServiceUrl = section["ServiceUrl"],
            MaxRetries = section.GetValue("MaxRetries", 4),
            RetryBaseDelay = TimeSpan.FromMilliseconds(section.GetValue("RetryBaseDelayMilliseconds", 200)),
            SessionName = section["SessionName"] ?? "firebreak-response",
            Accounts = accounts,
        };
    }
}

/// <summary>The clients of one account and region, on temporary credentials from sts:AssumeRole.</summary>
internal sealed class AwsSession(IAmazonEC2 ec2, IAmazonS3 s3, AwsQueryClient query) : IDisposable
{
    public IAmazonEC2 Ec2 { get; } = ec2;
    public IAmazonS3 S3 { get; } = s3;
    public AwsQueryClient Query { get; } = query;

    public void Dispose()
    {
        Ec2.Dispose();
        S3.Dispose();
    }
}

/// <summary>
/// Opens sessions: assumes the account's role through STS with its external ID and caches the temporary
/// credentials until five minutes before they expire.
/// </summary>
internal sealed class AwsSessions(AwsSettings settings, IHttpClientFactory httpClients, IDataProtectionProvider protection, TimeProvider time)
{
    public const string ProtectionPurpose = AwsSecretProtection.Purpose;

    private readonly ConcurrentDictionary<string, (AWSCredentials Credentials, DateTimeOffset Expires)> _cache = new();

    public AwsSettings Settings => settings;

    public async Task<AwsSession> OpenAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        var credentials = await CredentialsAsync(target, cancellationToken);
        var region = RegionEndpoint.GetBySystemName(target.Region);
        var ec2Config = new AmazonEC2Config { MaxErrorRetry = settings.MaxRetries, RetryMode = RequestRetryMode.Standard };
        var s3Config = new AmazonS3Config { MaxErrorRetry = settings.MaxRetries, RetryMode = RequestRetryMode.Standard };
        if (settings.ServiceUrl is { Length: > 0 } url)
        {
            ec2Config.ServiceURL = url;
            ec2Config.AuthenticationRegion = target.Region;
            s3Config.ServiceURL = url;
            s3Config.AuthenticationRegion = target.Region;
            s3Config.ForcePathStyle = true;
        }
        else
        {
            ec2Config.RegionEndpoint = region;
            s3Config.RegionEndpoint = region;
        }
        var query = new AwsQueryClient(httpClients.CreateClient("aws"), credentials, target.Region, settings.ServiceUrl, settings.MaxRetries, settings.RetryBaseDelay, time);
        return new AwsSession(new AmazonEC2Client(credentials, ec2Config), new AmazonS3Client(credentials, s3Config), query);
    }

    private async Task<AWSCredentials> CredentialsAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        if (!settings.Accounts.TryGetValue(target.Account, out var account) || (account.TenantId is { } tenant && tenant != target.TenantId))
            throw new ValidationFailedException("account", $"AWS account {target.Account} is not configured for response actions (Firebreak:Aws:Accounts).");
        var key = $"{account.Id}";
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > time.GetUtcNow().AddMinutes(5)) return cached.Credentials;

        var stsConfig = new AmazonSecurityTokenServiceConfig { MaxErrorRetry = settings.MaxRetries, RetryMode = RequestRetryMode.Standard };
        if (settings.ServiceUrl is { Length: > 0 } url)
        {
            stsConfig.ServiceURL = url;
            stsConfig.AuthenticationRegion = target.Region;
        }
        else
        {
            stsConfig.RegionEndpoint = RegionEndpoint.GetBySystemName(target.Region);
        }
        using var sts = BaseCredentials(account) is { } baseCredentials
            ? new AmazonSecurityTokenServiceClient(baseCredentials, stsConfig)
            : new AmazonSecurityTokenServiceClient(stsConfig);
        AssumeRoleResponse response;
        try
        {
            response = await sts.AssumeRoleAsync(new AssumeRoleRequest
            {
                RoleArn = account.RoleArn,
                RoleSessionName = Truncate($"{settings.SessionName}-{target.IncidentReference}", 64),
                ExternalId = account.ExternalId,
                DurationSeconds = 3600,
            }, cancellationToken);
        }
        catch (AmazonServiceException e)
        {
            throw new CloudCallException("sts:AssumeRole", e.ErrorCode ?? "Error", $"Firebreak could not assume {account.RoleArn}: {e.Message}");
        }
        var c = response.Credentials;
        var credentials = new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken);
        _cache[key] = (credentials, c.Expiration is { } expires ? new DateTimeOffset(expires.ToUniversalTime(), TimeSpan.Zero) : time.GetUtcNow().AddMinutes(15));
        return credentials;
    }

    private BasicAWSCredentials? BaseCredentials(AwsAccount account)
    {
        if (account.AccessKeyId is not { Length: > 0 } keyId || account.ProtectedSecretAccessKey is not { Length: > 0 } protectedSecret) return null;
        var secret = protection.CreateProtector(ProtectionPurpose).Unprotect(protectedSecret);
        return new BasicAWSCredentials(keyId, secret);
    }

    private static string Truncate(string value, int length)
    {
        var clean = new string(value.Select(ch => char.IsAsciiLetterOrDigit(ch) || "+=,.@-".Contains(ch) ? ch : '-').ToArray());
        return clean.Length > length ? clean[..length] : clean;
    }
}
