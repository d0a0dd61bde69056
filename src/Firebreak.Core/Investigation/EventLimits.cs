namespace Firebreak.Core.Investigation;

public static class EventLimits
{
    public const int ShortText = 200;
    public const int LongText = 2048;

    /// <summary>Events per page of a search.</summary>
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 100;

    /// <summary>Events one pin request may put on the timeline.</summary>
    public const int MaxPin = 500;
}

public static class TimelineLimits
{
    public const int TitleLength = 500;
    public const int AnnotationLength = 20_000;
    public const int MaxLinks = 100;
    public const int LinkLength = 2048;
}
