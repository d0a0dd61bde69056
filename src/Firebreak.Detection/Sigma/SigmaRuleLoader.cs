using System.Reflection;
using System.Text;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Detection.Sigma;

/// <summary>Reads Sigma documents from folders, files or embedded resources, collecting every diagnostic instead of stopping at the first.</summary>
public static class SigmaRuleLoader
{
    /// <summary>A rule file larger than this is reported, not read: SigmaHQ's largest is a few KB, and a whole pack in one file a few MB.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Every rule file under the folder, hidden ones (such as a repository's <c>.github</c>) left out. A named pipe or
    /// device found there is not read (reading it would hold the load until something wrote to it), nor is an empty
    /// file: each is a warning, as in a log folder. A pipe named on its own goes to <see cref="LoadFile"/>. A file that
    /// cannot be read (a broken link, no permission, too large, not UTF-8) is a diagnostic naming it, like a file
    /// that does not parse, and so is a sub-folder that cannot be listed; the other files still load. A folder
    /// reached twice through links is read once, with a warning (<see cref="FolderListing"/>).
    /// </summary>
    public static SigmaParseResult LoadDirectory(string directory)
    {
        var folders = new List<SigmaDiagnostic>();
        static bool IsRule(string f) => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase);
        var files = FolderListing.Files(
                directory,
                recurse: true,
                problem => folders.Add(new SigmaDiagnostic(Path.GetRelativePath(directory, problem.Path), 1, 1, problem.NotListedAgain ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, "file", problem.Reason)),
                chosen: IsRule)
            .Where(IsRule);
        return Merge([.. files.Select(f => Path.GetRelativePath(directory, f) is var name && FileLogInputSource.StoredSize(f) == 0
            ? new SigmaParseResult([], [new SigmaDiagnostic(name, 1, 1, DiagnosticSeverity.Warning, "file", "empty, or not a regular file (a named pipe or a device): nothing to read; skipped")])
            : Load(f, name)), new SigmaParseResult([], folders)]);
    }

    public static SigmaParseResult LoadFile(string path) => Load(path, path);

    private static SigmaParseResult Load(string path, string name)
    {
        string yaml;
        try
        {
            yaml = Read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            var reason = e is DecoderFallbackException ? "the file is not UTF-8 text" : $"the file cannot be read: {e.Message}";
            return new SigmaParseResult([], [new SigmaDiagnostic(name, 1, 1, DiagnosticSeverity.Error, "file", reason)]);
        }

        return SigmaParser.Parse(yaml, name);
    }

    private static string Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        byte[] bytes;
        if (file.CanSeek)
        {
            if (file.Length > MaxFileBytes) throw new IOException($"it is {file.Length:N0} bytes, more than a rule file may hold ({MaxFileBytes:N0})");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        else
        {
            // A named pipe (a rule written by another program as it is read) has no length: read up to the limit.
            using var piped = new MemoryStream();
            var chunk = new byte[64 * 1024];
            while (file.Read(chunk) is var read and > 0)
            {
                if (piped.Length + read > MaxFileBytes) throw new IOException($"it holds more than a rule file may hold ({MaxFileBytes:N0} bytes)");
                piped.Write(chunk, 0, read);
            }

            bytes = piped.ToArray();
        }

        var text = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? bytes.AsSpan(Encoding.UTF8.Preamble.Length) : bytes;
        return StrictUtf8.GetString(text);
    }

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
