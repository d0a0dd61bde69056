using System.Reflection;

namespace Firebreak.Detection.Sigma;

/// <summary>Reads Sigma documents from folders, files or embedded resources, collecting every diagnostic instead of stopping at the first.</summary>
public static class SigmaRuleLoader
{
    public static SigmaParseResult LoadDirectory(string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        return Merge(files.Select(f => SigmaParser.Parse(File.ReadAllText(f), Path.GetRelativePath(directory, f))));
    }

    public static SigmaParseResult LoadFile(string path) => SigmaParser.Parse(File.ReadAllText(path), path);

    /// <summary>Every <c>.yml</c> resource of the assembly whose name starts with <paramref name="prefix"/>; the file name reported is the resource name.</summary>
    public static SigmaParseResult LoadEmbedded(Assembly assembly, string prefix)
    {
        var results = new List<SigmaParseResult>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            // Resource names keep the build machine's directory separator; report the same name everywhere.
            results.Add(SigmaParser.Parse(reader.ReadToEnd(), name[prefix.Length..].Replace('\\', '/')));
        }

        return Merge(results);
    }

    public static SigmaParseResult Merge(IEnumerable<SigmaParseResult> results)
    {
        var documents = new List<SigmaDocument>();
        var diagnostics = new List<SigmaDiagnostic>();
        foreach (var result in results)
        {
            documents.AddRange(result.Documents);
            diagnostics.AddRange(result.Diagnostics);
        }

        return new SigmaParseResult(documents, diagnostics);
    }
}
