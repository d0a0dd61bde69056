namespace Firebreak.Cloud.Aws;

/// <summary>
/// How a stored AWS base key's secret is kept: only in the form ASP.NET Core Data Protection gives it under this
/// purpose, with the server's key ring (in the data directory). `firebreak admin protect-aws-secret` produces it.
/// </summary>
public static class AwsSecretProtection
{
    public const string Purpose = "Firebreak.Cloud.Aws.SecretAccessKey";
}
