namespace Firebreak.Core.Common;

/// <summary>
/// The NUL character (U+0000): PostgreSQL cannot store it in a text column, and SQLite can, so text holding it is
/// refused wherever it comes in (the API's door, the alert intake, every save) with the same words.
/// </summary>
public static class StorableText
{
    public const string NulMessage = "text may not contain the NUL character (U+0000)";

    public static bool HoldsNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal);
}
