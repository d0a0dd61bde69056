using Firebreak.Core.Common;

namespace Firebreak.Core.Playbooks;

/// <summary>OASIS CACAO v2 JSON import and export of the supported subset (docs/playbooks.md).</summary>
public static class PlaybookCacao
{
    public static PlaybookDefinition Import(string json) => throw new ValidationFailedException("body", "CACAO import is not available yet.");

    public static string Export(PlaybookDefinition playbook) => throw new ConflictException("CACAO export is not available yet.");
}
