using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Files, directories (read recursively) and glob patterns (<c>*</c>, <c>?</c>, bracket classes such as <c>[0-9]</c> or <c>[!.]</c>, and <c>**</c> for any
/// number of directories; a folder a pattern matches is read recursively, as a directory named is, so a pattern given
/// unexpanded reads what the shell's expansion of it would). Folders are walked as files are read, in ordinal order so
/// that runs are repeatable.
/// Hidden files are skipped. Folders are listed by <see cref="FolderListing"/>: one that cannot be listed is
/// an error, and a folder reached twice through links is read once. A <c>.zip</c> file is read entry by entry
/// (<see cref="ZipLogArchive"/>), and so is a tar archive, plain or compressed (<see cref="TarLogArchive"/>), and a
/// <c>.7z</c> (<see cref="SevenZipLogArchive"/>).
/// </summary>
public sealed class FileLogInputSource(IEnumerable<string> paths) : ILogInputSource
{
    public FileLogInputSource(params string[] paths)
        : this((IEnumerable<string>)paths)
    {
    }

    /// <summary>
    /// Why a file found may not be read (null when it may), asked before it is opened or, for an archive, listed; the
    /// reason is reported as a warning and the file skipped. A server's imports keep to their folders with it.
    /// </summary>
    public Func<string, string?>? Refuse { get; init; }

    /// <summary>
    /// Whether an archive found is given as one input of itself instead of its entries (null: none is). The progress bar's
    /// total keeps a compressed tarball whole: learning its entries' sizes would unpack all of it once more.
    /// </summary>
    public Func<string, bool>? KeepWhole { get; init; }

    /// <summary>Whether <c>*</c>, <c>?</c> and bracket classes make a path a pattern (a server's imports name files and folders only).</summary>
    public bool Patterns { get; init; } = true;

    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            foreach (var file in Expand(path, report, Patterns))
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A file named on its own (Expand gives back the path itself) is read whatever it is: a pipe from
                // the shell (<(zcat ...)) is meant. Only files found in a folder or by a pattern are judged.
                if (file != path && HoldsNothing(file))
                {
                    report(new ReadProblem(file, null, null, "empty, or not a regular file (a named pipe or a device): nothing to read; skipped", ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                if (Refuse?.Invoke(file) is { } refused)
                {
                    report(new ReadProblem(file, null, null, refused, ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                if (KeepWhole?.Invoke(file) != true && LogArchives.Found(file, report) is { } entries)
                {
                    foreach (var entry in entries)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        yield return entry;
                    }

                    continue;
                }

                yield return new LogInput(file, _ => Task.FromResult<Stream>(new FileStream(
                    file,
                    new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan })));
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the file (or what its links lead to) has a size of 0. Found in a folder or by a pattern, a named pipe
    /// would hold the read until something wrote to it, and a device such as <c>/dev/zero</c> never ends; both report
    /// a size of 0, as an empty file does, and none of them holds a log to read. A link that leads nowhere is left
    /// to the read, which reports it.
    /// </summary>
    internal static bool HoldsNothing(string file) => StoredSize(file) == 0;

    /// <summary>
    /// The size of what reading <paramref name="file"/> reads: for a link, the size of the file it finally leads to,
    /// not of the link itself. Null when there is nothing there (a link that leads nowhere, a file gone since it
    /// was listed) or it cannot be looked at.
    /// </summary>
    public static long? StoredSize(string file)
    {
        try
        {
            var info = new FileInfo(file);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
            return target is { Exists: true } ? target.Length : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The first <paramref name="count"/> bytes of a file (fewer when it is shorter; none when it cannot be read), to tell what it holds.</summary>
    internal static byte[] FirstBytes(string file, int count)
    {
        try
        {
            using var stream = File.OpenRead(file);
            var head = new byte[count];
            return head[..stream.ReadAtLeast(head, count, throwOnEndOfStream: false)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    internal static IEnumerable<string> Expand(string path, Action<ReadProblem> report, bool patterns = true)
    {
        // A bracket class ([0-9], [!.]) makes a pattern only when no file or folder has that very name (up to the end of
        // the part of the path that holds it: logs/2025-0[1-3]/*.json).
        var wildcard = patterns ? path.IndexOfAny(['*', '?']) : -1;
        if (patterns && FirstClass(path) is { } bracket && (wildcard < 0 || bracket < wildcard))
        {
            var partEnd = path.IndexOfAny(['/', Path.DirectorySeparatorChar], bracket);
            var named = partEnd < 0 ? path : path[..partEnd];
            if (!File.Exists(named) && !Directory.Exists(named))
            {
                wildcard = bracket;
            }
        }

        if (wildcard < 0)
        {
            if (Directory.Exists(path))
            {
                return FolderListing.Files(path, recurse: true, problem => report(Problem(problem)));
            }

            if (File.Exists(path))
            {
                return [path];
            }

            report(new ReadProblem(path, null, null, "no such file or directory") { EndsInput = true });
            return [];
        }

        var separator = path.LastIndexOfAny(['/', Path.DirectorySeparatorChar], wildcard);
        var root = separator < 0 ? "." : path[..separator];
        if (root.Length == 0)
        {
            root = "/";
        }

        var pattern = separator < 0 ? path : path[(separator + 1)..];
        // The pattern's parts are matched split at '/'; on Windows a path's parts are split at '\' too.
        if (Path.DirectorySeparatorChar == '\\')
        {
            pattern = pattern.Replace('\\', '/');
        }

        if (!Directory.Exists(root))
        {
            report(new ReadProblem(path, null, null, $"no such directory: {root}") { EndsInput = true });
            return [];
        }

        var glob = new Glob(pattern);
        var matches = FolderListing.Files(
            root,
            recurse: true,
            problem => report(Problem(problem)),
            include: file => glob.Takes(Relative(root, file)),
            descend: folder => glob.MayTakeUnder(Relative(root, folder)));
        return ReportingNone(matches, path, report);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// A pattern's test of paths relative to the folder it starts in, as a shell's expansion of it gives them: a file it
    /// matches, and every file in a folder it matches (the shell names the folder, and a folder named is read whole).
    /// <c>evidence/*</c> given unexpanded (PowerShell and cmd pass it on as it is; a quoted glob) passed its folders over
    /// without a word, a hunt of part of the evidence that looked complete.
    /// </summary>
    private sealed class Glob(string pattern)
    {
        private readonly Regex _whole = GlobToRegex(pattern);
        private readonly Regex[] _parts = [.. pattern.Split('/').Select(GlobToRegex)];
        // From the first part holding ** on, a path of any depth may match.
        private readonly int _anyDepth = Array.FindIndex(pattern.Split('/'), part => part.Contains("**", StringComparison.Ordinal));

        /// <summary>Whether the file at <paramref name="relative"/> is read: it, or a folder it is in, matches.</summary>
        public bool Takes(string relative)
        {
            for (var end = relative.Length; end > 0; end = relative.LastIndexOf('/', end - 1))
            {
                if (_whole.IsMatch(relative.AsSpan(0, end)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether a file under the folder at <paramref name="relative"/> may be read, so that it is worth listing.</summary>
        public bool MayTakeUnder(string relative)
        {
            if (Takes(relative))
            {
                return true;
            }

            var parts = relative.Split('/');
            for (var i = 0; i < parts.Length; i++)
            {
                if (i == _anyDepth)
                {
                    return true;
                }

                if (i >= _parts.Length || !_parts[i].IsMatch(parts[i]))
                {
                    return false;
                }
            }

            return parts.Length < _parts.Length;
        }
    }

    /// <summary>The files a pattern matched, as the walk finds them; a pattern that matched none is reported once the walk ends.</summary>
    private static IEnumerable<string> ReportingNone(IEnumerable<string> matches, string pattern, Action<ReadProblem> report)
    {
        var any = false;
        foreach (var file in matches)
        {
            any = true;
            yield return file;
        }

        if (!any)
        {
            report(new ReadProblem(pattern, null, null, "no file matches this pattern") { EndsInput = true });
        }
    }

    private static ReadProblem Problem(FolderProblem problem) =>
        new(problem.Path, null, null, problem.Reason, problem.NotListedAgain ? ProblemSeverity.Warning : ProblemSeverity.Error);

    /// <summary>Where the first bracket class of <paramref name="path"/> starts (a <c>[</c> closed on its part of the path), or null.</summary>
    private static int? FirstClass(string path)
    {
        for (var i = path.IndexOf('['); i >= 0; i = path.IndexOf('[', i + 1))
        {
            if (ClassEnd(path, i) is not null)
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>
    /// The <c>]</c> closing the class opened at <paramref name="open"/>, as POSIX shells read it: <c>!</c> or <c>^</c> first negates,
    /// and a <c>]</c> first is one of the class's characters. Null when it does not close before the path's next <c>/</c>.
    /// </summary>
    private static int? ClassEnd(string glob, int open)
    {
        var i = open + 1;
        if (i < glob.Length && glob[i] is '!' or '^')
        {
            i++;
        }

        if (i < glob.Length && glob[i] == ']')
        {
            i++;
        }

        for (; i < glob.Length; i++)
        {
            if (glob[i] == ']')
            {
                return i;
            }

            if (glob[i] is '/' || glob[i] == Path.DirectorySeparatorChar)
            {
                return null;
            }
        }

        return null;
    }

    private static string ClassMember(char member) => member is '\\' or '[' or ']' or '^' or '-' ? "\\" + member : member.ToString();

    internal static Regex GlobToRegex(string glob)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '[' && ClassEnd(glob, i) is { } close)
            {
                // One character of the class, never the separator; its members escaped, its ranges (a-z) kept. A range written
                // backwards ([3-1]) matches nothing, as in shells, while the class's other members still match ([a3-1] is [a]).
                var members = glob[(i + 1)..close];
                var negated = members.Length > 0 && members[0] is '!' or '^';
                if (negated)
                {
                    members = members[1..];
                }

                var set = new StringBuilder();
                for (var k = 0; k < members.Length; k++)
                {
                    if (k + 2 < members.Length && members[k + 1] == '-')
                    {
                        if (members[k] <= members[k + 2])
                        {
                            set.Append(ClassMember(members[k])).Append('-').Append(ClassMember(members[k + 2]));
                        }

                        k += 2;
                        continue;
                    }

                    set.Append(ClassMember(members[k]));
                }

                // Never the separator, even within a range that spans it ([.-0]).
                regex.Append(set.Length > 0 ? negated ? $"[^/{set}]" : $"(?!/)[{set}]" : negated ? "[^/]" : "(?!)");
                i = close;
            }
            else if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
