namespace Firebreak.Core.PostMortem;

/// <summary>Field limits, shared by the schema and the input checks so they can never disagree.</summary>
public static class PostMortemLimits
{
    public const int TitleLength = 200;
    public const int NoteLength = 4_000;
    public const int NameLength = 128;
    public const int CaseIdLength = 128;

    /// <summary>A year: no provider agrees to answer later than that.</summary>
    public const int MaxSlaMinutes = 366 * 24 * 60;

    /// <summary>Records of one kind on one incident: a post-mortem with more is a data dump, not a review.</summary>
    public const int MaxPerIncident = 500;
}
