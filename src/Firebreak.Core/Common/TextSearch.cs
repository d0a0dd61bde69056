namespace Firebreak.Core.Common;

/// <summary>Free-text filters: the user's text as a LIKE pattern, its wildcards escaped with '\'.</summary>
internal static class TextSearch
{
    public const string Escape = "\\";

    public static string ContainsPattern(string text) =>
        "%" + text.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
}
