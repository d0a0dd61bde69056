namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// One file-like input: a local file, an entry of a zip or tar archive, an S3 object, or a stream handed in by the caller.
/// Its <see cref="Name"/> is unique within a listing (an archive's second entry of one name is cited <c>name#2</c>): hits,
/// problems and an import's place in its inputs go by it.
/// </summary>
public sealed record LogInput(string Name, Func<CancellationToken, Task<Stream>> OpenAsync)
{
    /// <summary>The bytes its stream gives when known without opening it (a zip entry's unpacked size); else null.</summary>
    public long? Size { get; init; }

    /// <summary>What tells it apart from every other input when <see cref="Name"/> does not (a zip entry: its archive's real path and its own name).</summary>
    public string? Identity { get; init; }

    /// <summary>How many archives it lies in: 0 for a file or an S3 object, 1 for an archive's entry, 2 for an entry of an archive inside that one.</summary>
    public int ArchiveDepth { get; init; }

    /// <summary>The file's own name at the end of an input's name: after the last <c>/</c> or <c>\</c> of a path or an S3 key, or the <c>!</c> before a zip entry.</summary>
    public static ReadOnlySpan<char> FileName(string name) => name.AsSpan(name.LastIndexOfAny(['/', '\\', '!']) + 1);
}

/// <summary>Lists inputs lazily, so a bucket or directory of any size is never held in memory whole.</summary>
public interface ILogInputSource
{
    /// <summary>Lists the inputs; problems that prevent listing part of the source go to <paramref name="report"/>.</summary>
    IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, CancellationToken cancellationToken);
}

/// <summary>
/// One stored file known by another name (an upload kept under a name of the server's own): a zip, tar or 7z archive, as
/// its name says, is read entry by entry, each entry cited as <c>name!path/in/archive</c>; anything else is one input.
/// </summary>
public sealed class StoredFileSource(string path, string name) : ILogInputSource
{
    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var input in Inputs(path, name, report))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return input;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>The entries of the archive its name says the file is (a tar or 7z only when it holds one), else the file itself.</summary>
    internal static IEnumerable<LogInput> Inputs(string path, string name, Action<ReadProblem> report) =>
        LogArchives.Named(path, name, report) ?? [new LogInput(name, _ => Task.FromResult<Stream>(File.OpenRead(path)))];
}

/// <summary>The archives read entry by entry: zip, tar (plain or compressed) and 7z, known by their names.</summary>
public static class LogArchives
{
    /// <summary>Whether a name is one of an archive the readers open (<c>.zip</c>, a tar's endings, <c>.7z</c>).</summary>
    public static bool IsArchiveName(string name) =>
        ZipLogArchive.IsArchiveName(name) || TarLogArchive.IsArchiveName(name) || SevenZipLogArchive.IsArchiveName(name);

    /// <summary>The entries of a file found on disk when it is an archive (its name and its content say so), else null.</summary>
    internal static IEnumerable<LogInput>? Found(string path, Action<ReadProblem> report) =>
        ZipLogArchive.IsArchive(path) ? ZipLogArchive.Entries(path, report)
        : TarLogArchive.IsArchive(path) ? TarLogArchive.Entries(path, report)
        : SevenZipLogArchive.IsArchive(path) ? SevenZipLogArchive.Entries(path, report)
        : null;

    /// <summary>
    /// The entries of a stored file known by <paramref name="name"/> when that names an archive (a zip always; a tar or 7z
    /// only when the file holds one), cited after the name; else null.
    /// </summary>
    internal static IEnumerable<LogInput>? Named(string path, string name, Action<ReadProblem> report) =>
        ZipLogArchive.IsArchiveName(name) ? ZipLogArchive.Entries(path, report, name)
        : TarLogArchive.IsArchiveName(name) && TarLogArchive.Holds(path) ? TarLogArchive.Entries(path, report, name)
        : SevenZipLogArchive.IsArchiveName(name) && SevenZipLogArchive.Holds(path) ? SevenZipLogArchive.Entries(path, report, name)
        : null;
}

/// <summary>A fixed list of inputs, for streams the caller already has.</summary>
public sealed class LogInputList(IEnumerable<LogInput> inputs) : ILogInputSource
{
    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return input;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}

/// <summary>
/// Several sources read as one, each listed in turn: one read of all of a hunt's paths gives its events in
/// one fixed order (paths as named, files in listing order), which a hunt needs to give the same correlation
/// hits every run.
/// </summary>
public sealed class LogInputSources(IReadOnlyList<ILogInputSource> sources) : ILogInputSource
{
    /// <summary>
    /// The inputs of every source in turn. Sources that overlap (a folder and a pattern inside it, the same file named
    /// twice) would read a file twice: every hit reported twice, every count doubled. So an input already listed by
    /// an earlier source, by the same full path or S3 key, is passed over. One source never lists an input twice.
    /// </summary>
    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Inputs are remembered by a 128-bit digest of the key, not the key: a listing of millions of files stays small.
        HashSet<UInt128>? listed = sources.Count > 1 ? [] : null;
        foreach (var source in sources)
        {
            await foreach (var input in source.ListAsync(report, cancellationToken).ConfigureAwait(false))
            {
                if (listed is not null && !listed.Add(Digest(input.Identity ?? Key(input.Name))))
                {
                    continue;
                }

                yield return input;
            }
        }
    }

    /// <summary>A local file by its path with every link resolved (a folder and a link to it name the same files); others by name.</summary>
    private static string Key(string name) =>
        name == "-" || name.Contains("://", StringComparison.Ordinal) ? name : FolderListing.RealPath(name);

    internal static UInt128 Digest(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
