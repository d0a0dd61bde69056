namespace Firebreak.Core.Alerts;

public static class AlertLimits
{
    /// <summary>Alerts in one batch request.</summary>
    public const int MaxBatch = 10_000;

    /// <summary>Bytes of one intake request body.</summary>
    public const long MaxBodyBytes = 16 * 1024 * 1024;

    public const int TitleLength = 500;
    public const int DescriptionLength = 20_000;
    public const int SourceLength = 200;
    public const int ReferenceLength = 500;
    public const int ShortText = 200;
    public const int MaxListItems = 200;
    public const int ValueLength = 2_048;
    public const int IdempotencyKeyLength = 200;

    /// <summary>
    /// The alert queue counts matches exactly up to this many; past it the total reads "10,000+", so a
    /// page of a million-alert queue costs a bounded count instead of a walk over every match.
    /// </summary>
    public const int ExactCount = 10_000;
}
