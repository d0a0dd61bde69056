using Firebreak.Detection.Readers.Sources;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Investigation;

/// <summary>Settings under <c>Firebreak:Investigation</c>.</summary>
public sealed record InvestigationOptions
{
    /// <summary>Folders on the server that imports by path may read from; none means imports by path are off.</summary>
    public IReadOnlyList<string> ImportRoots { get; init; } = [];

    /// <summary>Where uploads are staged until their import finishes.</summary>
    public required string StagingDirectory { get; init; }

    public long MaxUploadBytes { get; init; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Events per transaction; each transaction also commits the checkpoint.</summary>
    public int BatchSize { get; init; } = 5_000;

    /// <summary>False on a node that must not run imports (they stay queued for another node).</summary>
    public bool RunImports { get; init; } = true;

    /// <summary>Run the built-in detection rules over imported events and put the matches on the timeline.</summary>
    public bool MatchRules { get; init; } = true;

    /// <summary>At most this many rule-matched events are put on one incident's timeline; the rest stay searchable.</summary>
    public int MaxRuleEntriesPerIncident { get; init; } = 5_000;

    /// <summary>How S3 prefixes are reached; the endpoint is the operator's choice, never the caller's.</summary>
    public S3SourceOptions S3 { get; init; } = new();

    public static InvestigationOptions From(IConfiguration configuration, string dataDirectory)
    {
        var section = configuration.GetSection("Firebreak:Investigation");
        var roots = section.GetSection("ImportRoots").Get<string[]>() ?? [];
        var staging = section["StagingDirectory"] is { Length: > 0 } s ? Path.GetFullPath(s) : Path.Combine(dataDirectory, "imports");
        var s3 = section.GetSection("S3");
        return new InvestigationOptions
        {
            ImportRoots = [.. roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)))],
            StagingDirectory = staging,
            MaxUploadBytes = section.GetValue("MaxUploadBytes", 5L * 1024 * 1024 * 1024),
            BatchSize = Math.Clamp(section.GetValue("BatchSize", 5_000), 1, 50_000),
            RunImports = section.GetValue("RunImports", true),
            MatchRules = section.GetValue("MatchRules", true),
            MaxRuleEntriesPerIncident = Math.Clamp(section.GetValue("MaxRuleEntriesPerIncident", 5_000), 0, 100_000),
            S3 = new S3SourceOptions
            {
                ServiceUrl = s3["ServiceUrl"] is { Length: > 0 } url ? url : null,
                Region = s3["Region"] is { Length: > 0 } region ? region : "us-east-1",
                ForcePathStyle = s3.GetValue<bool?>("ForcePathStyle"),
                AccessKeyId = s3["AccessKeyId"] is { Length: > 0 } id ? id : null,
                SecretAccessKey = s3["SecretAccessKey"] is { Length: > 0 } secret ? secret : null,
                SessionToken = s3["SessionToken"] is { Length: > 0 } token ? token : null,
            },
        };
    }
}
