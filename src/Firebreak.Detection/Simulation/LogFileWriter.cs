using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Firebreak.Detection.Simulation;

/// <summary>
/// Files events the way each provider delivers them: CloudTrail as <c>{"Records":[...]}</c> objects per
/// region and five-minute window under <c>AWSLogs/</c>; Azure Activity as the hourly <c>PT1H.json</c>
/// (one record per line) of a storage-account export; GCP audit as the hourly JSON-lines shards of a
/// Cloud Storage log sink. Events must arrive in time order.
/// </summary>
internal sealed class LogFileWriter(string root, World world, bool compress) : IAsyncDisposable
{
    private const int MaxRecordsPerTrailFile = 1500;
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly Dictionary<string, OpenFile> _open = new(StringComparer.Ordinal);
    private readonly List<string> _files = [];

    public IReadOnlyList<string> Files => _files;

    public async Task WriteAsync(SimEvent simEvent, CancellationToken cancellationToken)
    {
        var stream = $"{simEvent.Cloud}/{simEvent.Partition}";
        var window = Window(simEvent);
        if (_open.TryGetValue(stream, out var file) && (file.Window != window || (simEvent.Cloud == SimCloud.Aws && file.Count >= MaxRecordsPerTrailFile)))
        {
            await file.DisposeAsync().ConfigureAwait(false);
            _open.Remove(stream);
            file = null;
        }

        if (file is null)
        {
            file = Open(simEvent, window);
            _open[stream] = file;
        }

        file.Write(simEvent);
        if (file.Writer.BytesPending > 64 * 1024)
        {
            await file.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static DateTimeOffset Window(SimEvent simEvent)
    {
        var time = simEvent.Time.UtcDateTime;
        return simEvent.Cloud == SimCloud.Aws
            ? new DateTimeOffset(time.Year, time.Month, time.Day, time.Hour, time.Minute / 5 * 5, 0, TimeSpan.Zero)
            : new DateTimeOffset(time.Year, time.Month, time.Day, time.Hour, 0, 0, TimeSpan.Zero);
    }

    private OpenFile Open(SimEvent simEvent, DateTimeOffset window)
    {
        string relative;
        bool wrapped;
        var gzip = false;
        var day = window.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);
        switch (simEvent.Cloud)
        {
            case SimCloud.Aws:
                var region = simEvent.Partition;
                // The folder's day is the delivery's, as the file name's time is: a window that closes past midnight is
                // delivered, and filed, on the next day.
                var delivery = window.AddMinutes(5);
                var delivered = delivery.ToString("yyyyMMdd'T'HHmm'Z'", CultureInfo.InvariantCulture);
                // An organization trail's layout: the member account's trail, which the attackers stop, delivers nothing here.
                relative = $"AWSLogs/{world.AwsOrganization}/{world.AwsAccount}/CloudTrail/{region}/{delivery.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture)}/{world.AwsAccount}_CloudTrail_{region}_{delivered}_{world.Suffix()}.json" + (compress ? ".gz" : "");
                wrapped = true;
                gzip = compress;
                break;
            case SimCloud.Azure:
                relative = string.Create(CultureInfo.InvariantCulture,
                    $"insights-activity-logs/resourceId=/SUBSCRIPTIONS/{world.AzureSubscription.ToUpperInvariant()}/y={window:yyyy}/m={window:MM}/d={window:dd}/h={window:HH}/m=00/PT1H.json");
                wrapped = false;
                break;
            default:
                relative = string.Create(CultureInfo.InvariantCulture, $"cloudaudit.googleapis.com/activity/{day}/{window:HH}_00_00_{window:HH}_59_59_S0.json");
                wrapped = false;
                break;
        }

        var path = Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Stream stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        if (gzip)
        {
            stream = new GZipStream(stream, CompressionLevel.Optimal);
        }

        _files.Add(relative);
        return new OpenFile(stream, window, wrapped);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _open.Values)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }

        _open.Clear();
    }

    private sealed class OpenFile : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly bool _wrapped;

        public OpenFile(Stream stream, DateTimeOffset window, bool wrapped)
        {
            _stream = stream;
            _wrapped = wrapped;
            Window = window;
            Writer = new Utf8JsonWriter(stream, WriterOptions);
            if (wrapped)
            {
                Writer.WriteStartObject();
                Writer.WriteStartArray("Records");
            }
        }

        public DateTimeOffset Window { get; }

        public Utf8JsonWriter Writer { get; }

        public int Count { get; private set; }

        public void Write(SimEvent simEvent)
        {
            simEvent.Write(Writer);
            Count++;
            if (!_wrapped)
            {
                // JSON lines: the writer only separates values inside a container, so each
                // top-level record is flushed and followed by a newline by hand.
                Writer.Flush();
                _stream.WriteByte((byte)'\n');
                Writer.Reset();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_wrapped)
            {
                Writer.WriteEndArray();
                Writer.WriteEndObject();
            }

            await Writer.FlushAsync().ConfigureAwait(false);
            await Writer.DisposeAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
