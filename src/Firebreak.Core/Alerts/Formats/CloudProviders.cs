namespace Firebreak.Core.Alerts.Formats;

internal static class CloudProviders
{
    public const string Aws = "aws";
    public const string Azure = "azure";
    public const string Gcp = "gcp";

    /// <summary>Known spellings map to aws/azure/gcp; an unknown provider is kept, lower-cased, rather than guessed.</summary>
    public static string? Normalise(string? provider) => provider?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "aws" or "amazon" or "amazon web services" => Aws,
        "azure" or "microsoft azure" or "microsoft" => Azure,
        "gcp" or "google" or "google cloud" or "google cloud platform" => Gcp,
        var other => other,
    };
}
