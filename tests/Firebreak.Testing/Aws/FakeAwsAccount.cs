using Firebreak.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Testing.Aws;

/// <summary>
/// The settings that point a whole server at a <see cref="FakeAws"/>: one account with the role to assume, its
/// external ID and a stored base key whose secret is only in configuration in Data Protection's protected form,
/// protected with the keys of the server's own data directory, as docs/response.md tells an operator to do.
/// </summary>
public static class FakeAwsAccount
{
    public const string RoleArnFormat = "arn:aws:iam::{0}:role/FirebreakResponder";
    public const string ExternalId = "acme-7f3c";
    public const string AccessKeyId = "AKIAIOSFODNN7EXAMPLE";
    public const string BaseSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";

    /// <summary>The purpose docs/response.md names for the protected secret.</summary>
    public const string ProtectionPurpose = Firebreak.Cloud.Aws.AwsSecretProtection.Purpose;

    /// <summary>
    /// Protects <see cref="BaseSecret"/> with the Data Protection keys of <paramref name="dataDirectory"/> (a server
    /// built over that directory, never started, creates them) and returns the settings for the account.
    /// </summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(FakeAws aws, string account, string dataDirectory)
    {
        string protectedSecret;
        await using (var app = FirebreakApp.Build(["--Firebreak:DataDirectory=" + dataDirectory], b => b.Logging.ClearProviders()))
        {
            protectedSecret = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ProtectionPurpose).Protect(BaseSecret);
        }
        return Settings(aws, account, protectedSecret);
    }

    /// <summary>The settings for the account, with a secret already protected (for example by `firebreak admin protect-aws-secret`).</summary>
    public static Dictionary<string, string?> Settings(FakeAws aws, string account, string protectedSecret) =>
        new()
        {
            ["Firebreak:Aws:ServiceUrl"] = aws.Url,
            ["Firebreak:Aws:RetryBaseDelayMilliseconds"] = "5",
            [$"Firebreak:Aws:Accounts:{account}:RoleArn"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, RoleArnFormat, account),
            [$"Firebreak:Aws:Accounts:{account}:ExternalId"] = ExternalId,
            [$"Firebreak:Aws:Accounts:{account}:AccessKeyId"] = AccessKeyId,
            [$"Firebreak:Aws:Accounts:{account}:ProtectedSecretAccessKey"] = protectedSecret,
        };
}
