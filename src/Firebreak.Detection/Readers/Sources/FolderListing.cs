namespace Firebreak.Detection.Readers.Sources;

/// <summary>Something a folder listing could not do; <see cref="NotListedAgain"/> when nothing was lost by it.</summary>
/// <param name="Path">The folder, as reached from the root that was listed.</param>
/// <param name="Reason">What happened, for a person.</param>
/// <param name="NotListedAgain">
/// The folder was already listed under another path (a link back up the tree, or a second link to the same
/// folder), so its files are read once; false when files may be missed: the folder could not be listed, or (with
/// a pattern choosing the files) one more way to it was not followed.
/// </param>
public sealed record FolderProblem(string Path, string Reason, bool NotListedAgain);

/// <summary>
/// Lists the files under a folder, for the log readers and the rule loader. Unlike the runtime's recursive
/// listing it never drops a folder without a word: a folder that cannot be listed (no permission) is reported,
/// since a hunt that did not read it must not look complete. Links to folders are followed, but each folder
/// is listed once, by the path with every link resolved: a link back up the tree would otherwise list the same
/// files again at every level, up to the system's limit of links in one path, and two such links would list
/// them without end. A link to a folder that holds one the walk came through (the root among them: <c>up -> ../..</c>,
/// <c>rootfs -> /</c>) is a loop too, and not followed: it would read everything beside the folder named. Hidden entries
/// (names starting with a dot) are skipped.
/// </summary>
public static class FolderListing
{
    /// <summary>The kernel gives up on a path after this many links (ELOOP); so does <see cref="RealPath"/>.</summary>
    private const int MaxLinks = 40;

    private static readonly EnumerationOptions OneFolder = new()
    {
        IgnoreInaccessible = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
    };

    /// <summary>How often a folder is listed again by another way to it when a pattern chooses the files.</summary>
    private const int MaxRoutesPerFolder = 8;

    /// <summary>
    /// The files in <paramref name="root"/>, and in its sub-folders when <paramref name="recurse"/>, with paths
    /// built from <paramref name="root"/> as given, listed as the walk finds them: memory grows with the depth of
    /// the tree and the size of one folder, not with the number of files (a synced organisation trail holds
    /// millions). Files come in ordinal order of their paths, except that folders reached through a link come
    /// after the rest (so a file is listed by its path without links wherever it has one). Links to files are
    /// listed as they are; the reader reports one that leads nowhere. With <paramref name="include"/> (a glob's
    /// test of a path), a folder reached by two ways is listed under each (the pattern may name the link, not the
    /// folder it leads to), but each file is still listed once. <paramref name="chosen"/> says which of the files
    /// listed the caller reads when it reads only some (the rule loader's <c>.yml</c> files): a link is passed over for
    /// the file it leads to only when that file is chosen too; without it, every file listed is taken as read.
    /// <paramref name="descend"/> (a pattern's test of a folder's path) says which sub-folders are worth listing when
    /// recursing: those under which <paramref name="include"/> may take a file; without it, every one is.
    /// </summary>
    public static IEnumerable<string> Files(string root, bool recurse, Action<FolderProblem> report, Func<string, bool>? include = null, Func<string, bool>? chosen = null, Func<string, bool>? descend = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Walk(root, recurse, report, include, chosen ?? (_ => true), descend);
    }

    private static IEnumerable<string> Walk(string root, bool recurse, Action<FolderProblem> report, Func<string, bool>? include, Func<string, bool> chosen, Func<string, bool>? descend)
    {
        // The ways each folder (by its path without links) was listed: one, or up to eight with a pattern.
        var listed = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var linked = new List<Route>();
        // Files reached through links, by the path with every link resolved (links are few; regular files are not kept).
        var linkedFiles = new HashSet<string>(StringComparer.Ordinal);
        var rootReal = RealPath(root);
        var start = new Route(root, rootReal, null);
        while (true)
        {
            var stack = new Stack<Frame>();
            if (Enter(start, recurse, report, include, descend, listed) is { } first)
            {
                stack.Push(first);
            }

            while (stack.TryPeek(out var frame))
            {
                if (frame.Next == frame.Children.Count)
                {
                    stack.Pop();
                    continue;
                }

                var (name, isFolder, isLink) = frame.Children[frame.Next++];
                var path = Path.Join(frame.Route.Path, name);
                if (isFolder && isLink)
                {
                    linked.Add(new Route(path, RealPath(path), frame.Route));
                }
                else if (isFolder)
                {
                    if (Enter(new Route(path, Path.Join(frame.Route.Real, name), frame.Route), recurse, report, include, descend, listed) is { } inner)
                    {
                        stack.Push(inner);
                    }
                }
                else if ((include is null || include(path)) && !frame.EarlierWays.Any(way => include!(Path.Join(way, name))))
                {
                    // A file reached by two ways would be read twice: every hit reported twice, and correlations counting
                    // one event twice. A link is passed over when the file it leads to is listed under its own path by
                    // this walk (or was already reached through another link); a file is passed over when a link listed
                    // earlier led to it.
                    if (isLink && LeadsRound(path))
                    {
                        // A link to itself, or links leading to each other: there is no file behind them.
                        report(new FolderProblem(path, "is a link that leads back to itself (a loop): no file to read", NotListedAgain: true));
                        continue;
                    }

                    if (isLink && RealPath(path) is var real && File.Exists(real))
                    {
                        if (linkedFiles.Contains(real) || (include is null && chosen(real) && ReadElsewhere(real, rootReal, recurse, listed)))
                        {
                            report(new FolderProblem(path, $"leads to {real}, a file read under another path: not read again", NotListedAgain: true));
                            continue;
                        }

                        // Remembered only when read through this link: a link passed over for the file's own path, then the
                        // file passed over for the link, lost both (a link sorting before the file it leads to).
                        linkedFiles.Add(real);
                    }
                    else if (linkedFiles.Count > 0 && linkedFiles.Contains(Path.Join(frame.Route.Real, name)))
                    {
                        report(new FolderProblem(path, $"is {Path.Join(frame.Route.Real, name)}, a file already read through a link: not read again", NotListedAgain: true));
                        continue;
                    }

                    yield return path;
                }
            }

            // Folders reached through links wait until every folder reached without one is listed.
            if (linked.Count == 0)
            {
                yield break;
            }

            var next = linked.MinBy(r => r.Path, StringComparer.Ordinal)!;
            linked.Remove(next);
            start = next;
        }
    }

    /// <summary>
    /// Whether a file a link leads to (by its path without links) is listed by this walk under that path: it is not
    /// hidden, and is in the root (or, recursing, under it, in no hidden folder) or in a folder already listed.
    /// </summary>
    private static bool ReadElsewhere(string real, string rootReal, bool recurse, Dictionary<string, List<string>> listed)
    {
        var folder = Path.GetDirectoryName(real);
        if (folder is null || Path.GetFileName(real).StartsWith('.'))
        {
            return false;
        }

        if (listed.ContainsKey(folder) || folder == rootReal)
        {
            return true;
        }

        var prefix = rootReal.EndsWith(Path.DirectorySeparatorChar) ? rootReal : rootReal + Path.DirectorySeparatorChar;
        return recurse && folder.StartsWith(prefix, StringComparison.Ordinal)
            && !folder[prefix.Length..].Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'));
    }

    /// <summary>Lists a folder reached by <paramref name="route"/>, or says why it is not listed (and gives null).</summary>
    private static Frame? Enter(Route route, bool recurse, Action<FolderProblem> report, Func<string, bool>? include, Func<string, bool>? descend, Dictionary<string, List<string>> listed)
    {
        if (route.LeadsBack() is { } held)
        {
            report(new FolderProblem(route.Path, held.Real == route.Real
                ? $"leads back to {route.Real}, a folder it is in (a loop): not read again"
                : $"leads to {route.Real}, a folder holding {held.Path} (a loop): not followed, nothing outside {held.Path} is read through it", NotListedAgain: true));
            return null;
        }

        if (!listed.TryGetValue(route.Real, out var ways))
        {
            listed[route.Real] = ways = [];
        }

        if (ways.Count > 0 && include is null)
        {
            report(new FolderProblem(route.Path, $"leads to {route.Real}, a folder already read: not read again", NotListedAgain: true));
            return null;
        }

        if (ways.Count >= MaxRoutesPerFolder)
        {
            // The pattern might have matched this way's paths only: files may be missed, so it is an error.
            report(new FolderProblem(route.Path, $"leads to {route.Real}, a folder reached by more than {MaxRoutesPerFolder} ways: not read this way", NotListedAgain: false));
            return null;
        }

        var earlier = ways.ToArray();
        ways.Add(route.Path);
        var children = new List<(string Name, bool IsFolder, bool IsLink)>();
        try
        {
            foreach (var entry in new DirectoryInfo(route.Path).EnumerateFileSystemInfos("*", OneFolder))
            {
                if (entry is not DirectoryInfo)
                {
                    // The listing says which entries are links; only those are looked at further.
                    children.Add((entry.Name, false, (entry.Attributes & FileAttributes.ReparsePoint) != 0 && IsLink(entry)));
                }
                else if (recurse && (descend is null || descend(Path.Join(route.Path, entry.Name))))
                {
                    children.Add((entry.Name, true, IsLink(entry)));
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied" : e.Message;
            report(new FolderProblem(route.Path, $"this folder cannot be listed ({why}): its files are not read", NotListedAgain: false));
            return null;
        }

        // A folder sorts as its name and a separator, so that walking in this order gives whole paths in ordinal order.
        children.Sort((a, b) => string.CompareOrdinal(a.IsFolder ? a.Name + "/" : a.Name, b.IsFolder ? b.Name + "/" : b.Name));
        return new Frame(route, children, earlier);
    }

    /// <summary>A folder being walked: its entries in order, the next to look at, and the ways it was listed by before.</summary>
    private sealed class Frame(Route route, List<(string Name, bool IsFolder, bool IsLink)> children, string[] earlierWays)
    {
        public Route Route { get; } = route;

        public List<(string Name, bool IsFolder, bool IsLink)> Children { get; } = children;

        public string[] EarlierWays { get; } = earlierWays;

        public int Next { get; set; }
    }

    private static bool IsLink(FileSystemInfo entry)
    {
        try
        {
            return entry.LinkTarget is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone, or not to be looked at, since it was listed: listing it is what will say so.
            return false;
        }
    }

    /// <summary>One way to a folder: its path as reached, the path with every link resolved, and the way to the folder it is in.</summary>
    private sealed record Route(string Path, string Real, Route? Parent)
    {
        /// <summary>
        /// The folder this way passed through (the root that was listed among them) that this one is, or holds; null when
        /// none. Listing the folder itself again would go round without end; listing a folder above one passed through
        /// (a link to <c>../..</c>, or to <c>/</c> in evidence collected from a host) would read everything beside it, up
        /// to the whole machine, as if it were in the folder named.
        /// </summary>
        public Route? LeadsBack()
        {
            for (var above = Parent; above is not null; above = above.Parent)
            {
                if (above.Real == Real)
                {
                    return above;
                }
            }

            var prefix = Real.EndsWith(System.IO.Path.DirectorySeparatorChar) ? Real : Real + System.IO.Path.DirectorySeparatorChar;
            for (var above = Parent; above is not null; above = above.Parent)
            {
                if (above.Real.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return above;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The absolute path with every link along it resolved and no <c>.</c> or <c>..</c> left, as realpath(3)
    /// gives it; a <c>..</c> after a link goes up from where the link leads, not textually. With more than 40
    /// links on the way (a loop), the absolute path as given.
    /// </summary>
    public static string RealPath(string path)
    {
        var absolute = Path.IsPathRooted(path) ? path : Path.Join(Environment.CurrentDirectory, path);
        var root = Path.GetPathRoot(absolute)!;
        var pending = new Stack<string>();
        Push(pending, absolute[root.Length..]);
        var resolved = root;
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? root;
                continue;
            }

            var next = Path.Join(resolved, part);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null;
            }

            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return Path.GetFullPath(absolute);
            }

            if (Path.IsPathRooted(target))
            {
                resolved = Path.GetPathRoot(target)!;
                target = target[resolved.Length..];
            }

            Push(pending, target);
        }

        return resolved;
    }

    /// <summary>Whether following the link at <paramref name="path"/> goes round without end (the system gives up on it).</summary>
    private static bool LeadsRound(string path)
    {
        try
        {
            File.ResolveLinkTarget(path, returnFinalTarget: true);
            return false;
        }
        catch (IOException)
        {
            // Too many levels of links. Other failures (a link whose target is missing) are the reader's to report.
            return RealPath(path) == Path.GetFullPath(path) && new FileInfo(path).LinkTarget is not null;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
