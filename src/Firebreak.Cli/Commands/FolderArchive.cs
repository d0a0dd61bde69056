using System.Formats.Tar;

namespace Firebreak.Cli.Commands;

/// <summary>
/// A local folder of logs as one tar archive, to upload as one import: a trail's folder holds thousands of small files,
/// and the server reads a tar's entries (plain or compressed) as it reads files. The archive is written to an owner-only
/// temporary file that is deleted when the returned stream is closed, so the upload knows its length and the folder's
/// size is not held in memory. Links are left out (they may point outside the folder, or at a folder above it).
/// </summary>
internal static class FolderArchive
{
    /// <summary>The upload's name: the folder's own name with <c>.tar</c>, so the import names its source.</summary>
    public static string NameOf(string folder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return (name.Length == 0 ? "folder" : name) + ".tar";
    }

    /// <summary>The folder's files as a tar archive, positioned at its start; entries are named by their path under the folder.</summary>
    public static async Task<Stream> PackAsync(string folder, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = FileAttributes.ReparsePoint,
                IgnoreInaccessible = false,
            })
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new CliException(ExitCodes.Usage, $"The folder {folder} holds no file to upload.");

        var path = Path.Combine(Path.GetTempPath(), $"firebreak-upload-{Guid.NewGuid():N}.tar");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var archive = new FileStream(path, options);
        try
        {
            await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var file in files)
                {
                    var entry = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                    await writer.WriteEntryAsync(file, entry, cancellationToken);
                }
            }

            archive.Position = 0;
            return archive;
        }
        catch
        {
            await archive.DisposeAsync();
            throw;
        }
    }
}
