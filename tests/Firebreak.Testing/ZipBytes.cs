using System.IO.Compression;

namespace Firebreak.Testing;

/// <summary>A zip archive of the entries given, in their order, built in memory.</summary>
public static class ZipBytes
{
    public static byte[] Of(params (string Name, byte[] Content)[] entries)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = archive.CreateEntry(name).Open();
                entry.Write(content);
            }
        }

        return output.ToArray();
    }
}
