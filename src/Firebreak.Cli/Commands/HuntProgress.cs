using System.Globalization;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>
/// The live progress of a hunt on a terminal: a bar over the bytes of the inputs, as stored (compressed
/// bytes for .gz files, which is what the reader counts), with the events per second and the hits so far (the summary line at the end has the rest).
/// The hits are those <paramref name="shownHits"/> counts: the ones the hunt shows, at or above --min-level, as the summary
/// counts them (the statistics count every hit, and a bar that said 1,200 hits before a summary of 3 read as hits lost).
/// The inputs' size is summed in the background while the hunt starts, so a directory of many files does
/// not delay it; until it is known, and for S3 prefixes (listed lazily), the bar has no end.
/// </summary>
internal sealed class HuntProgress(ReadSummary summary, HuntStatistics statistics, Func<long> shownHits, Task<long?> totalBytes)
{
    /// <summary>The bar first, so it stays whole on a narrow terminal; the counts fit beside it in 80 columns.</summary>
    public static ProgressColumn[] Columns() =>
    [
        new SpinnerColumn(),
        new ProgressBarColumn { Width = 20 },
        new PercentageColumn(),
        new RemainingTimeColumn(),
        new TaskDescriptionColumn { Alignment = Justify.Left },
    ];

    /// <summary>
    /// The size of the local inputs: every file the reader will open for these paths (not those the time
    /// <paramref name="window"/> leaves unread), or null when one is an S3 prefix, standard input or a compressed
    /// tarball. Paths that do not exist count nothing here; the hunt itself reports them.
    /// </summary>
    public static async Task<long?> TotalBytesAsync(IReadOnlyList<string> paths, DeliveryWindow window, CancellationToken cancellationToken)
    {
        if (paths.Any(p => p.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || p == HuntCommand.StandardInput)) return null;
        long total = 0;
        // A compressed tarball's entries are known only by unpacking all of it, which the hunt already does twice (to list
        // them, then to read them): the bar then shows what was read without a total.
        var unknown = false;
        var source = new FileLogInputSource(paths) { KeepWhole = path => TarLogArchive.IsArchive(path) && TarLogArchive.IsCompressed(path) && (unknown = true) };
        await foreach (var input in window.Apply(source, _ => { }).ListAsync(_ => { }, cancellationToken).ConfigureAwait(false))
        {
            if (unknown) return null;

            // A link counts the size of what it leads to, which is what the reader reads; a file gone since it
            // was listed counts nothing, and the reader reports it.
            if (CloudTrailDigest.IsName(input.Name)) continue; // passed by unread
            total += input.Size ?? FileLogInputSource.StoredSize(input.Name) ?? 0;
        }

        return unknown ? null : total;
    }

    /// <summary>Shows the counts so far on <paramref name="task"/>.</summary>
    public void Update(ProgressTask task, TimeSpan elapsed)
    {
        var bytes = summary.Bytes;
        long? total = totalBytes.IsCompletedSuccessfully ? totalBytes.Result : null;
        task.Description = Markup.Escape(Describe(bytes, total, summary.Filtered + statistics.Events, shownHits(), elapsed));
        if (total is { } size)
        {
            // A file that grew while it was read must not push the bar past its end.
            task.IsIndeterminate = false;
            task.MaxValue = Math.Max(1, Math.Max(size, bytes));
            task.Value = bytes;
        }
    }

    internal static string Describe(long bytes, long? total, long events, long hits, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var read = total is { } size ? $"{Megabytes(bytes)}/{Megabytes(Math.Max(size, bytes))} MB" : $"{Megabytes(bytes)} MB";
        return string.Create(CultureInfo.InvariantCulture,
            $"{read}, {events / seconds:N0} events/s, {hits:N0} hit(s)");
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
