namespace Firebreak.Core.Incidents;

/// <summary>Field limits, shared by the schema and the input checks so they can never disagree.</summary>
public static class IncidentLimits
{
    public const int TitleLength = 200;
    public const int SummaryLength = 20_000;
    public const int ReasonLength = 2_000;
    public const int JournalLength = 100_000;
    public const int TagLength = 64;
    public const int MaxTags = 50;
    public const int ScopeItemLength = 128;
    public const int MaxScopeItems = 200;
}
