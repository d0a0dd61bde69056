using System.Runtime.CompilerServices;
using Firebreak.Core.Common;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Core.Investigation;

/// <summary>
/// Server-side paths an import may read: a file or folder inside one of the configured roots, after
/// resolving "..", and every file found under it checked again after resolving symbolic links, so a
/// link inside a root cannot lead outside it.
/// </summary>
internal static class ImportPaths
{
    public static string Check(string? path, IReadOnlyList<string> roots)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ValidationFailedException("path", "path is required.");
        if (path.Length > EventLimits.LongText) throw new ValidationFailedException("path", $"path must be at most {EventLimits.LongText} characters.");
        if (roots.Count == 0) throw new ValidationFailedException("path", "Imports from server paths are off: no import roots are configured (Firebreak:Investigation:ImportRoots).");
        if (path.IndexOfAny(['*', '?', '\0']) >= 0) throw new ValidationFailedException("path", "path must name a file or folder; wildcards are not accepted.");
        if (!Path.IsPathFullyQualified(path)) throw new ValidationFailedException("path", "path must be absolute.");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!roots.Any(root => Inside(full, root)))
            throw new ValidationFailedException("path", "path is outside the folders imports may read from.");
        var resolved = Resolve(full);
        if (!roots.Any(root => Inside(resolved, root)))
            throw new ValidationFailedException("path", "path is outside the folders imports may read from.");
        if (!File.Exists(resolved) && !Directory.Exists(resolved))
            throw new ValidationFailedException("path", "No such file or folder on the server.");
        return full;
    }

    public static bool Inside(string path, string root) =>
        string.Equals(path, root, StringComparison.Ordinal)
        || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every symbolic link along it followed.</summary>
    public static string Resolve(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(path)!;
        foreach (var part in parts)
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.Exists && info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is not null) current = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName));
            }
        }
        return current;
    }

    /// <summary>The files under a checked path, each still inside a root once its links are followed.</summary>
    public sealed class Source(string path, IReadOnlyList<string> roots) : ILogInputSource
    {
        public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // Each file is judged before it is opened (a zip archive before it is listed: its entries' names are no paths on
            // disk, and listing one outside would tell what it holds), by where its links lead.
            var source = new FileLogInputSource(path)
            {
                Patterns = false,
                Refuse = file => roots.Any(root => Inside(Resolve(Path.GetFullPath(file)), root)) ? null : "skipped: links outside the folders imports may read from",
            };
            await foreach (var input in source.ListAsync(report, cancellationToken))
            {
                yield return input;
            }
        }
    }
}
