using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.Channels;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers.Mapping;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Reads cloud audit logs of any supported format into <see cref="CloudEvent"/>s, streaming.
/// Each file is framed into records on one task while batches of records are parsed and mapped on up
/// to <see cref="ReaderOptions.MaxDegreeOfParallelism"/> cores; events come out in file order.
/// Malformed input is reported through <see cref="ReaderOptions.OnProblem"/> and <see cref="Summary"/>
/// and skipped; reading goes on.
/// </summary>
public sealed class CloudLogReader
{
    private readonly ReaderOptions _options;

    public CloudLogReader(ReaderOptions? options = null)
    {
        _options = options ?? new ReaderOptions();
        _options.Validate();
        Summary = new ReadSummary(_options.MaxProblemsKept);
    }

    /// <summary>Counts over every read made with this reader.</summary>
    public ReadSummary Summary { get; }

    public IAsyncEnumerable<CloudEvent> ReadPathsAsync(IEnumerable<string> pathsOrGlobs, CancellationToken cancellationToken = default) =>
        ReadAsync(new LogInputSources([.. pathsOrGlobs.Select(p => new FileLogInputSource(p))]), cancellationToken);

    /// <summary>Reads one stream (plain or gzip); the stream is disposed when reading ends.</summary>
    /// <remarks>A stream given open is read whatever its name: one named as a CloudTrail digest is known by its content.</remarks>
    public IAsyncEnumerable<CloudEvent> ReadStreamAsync(Stream stream, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(new LogInputList([new LogInput(name, _ => Task.FromResult(stream))]), passDigestsByName: false, cancellationToken);

    /// <summary>Reads every input of <paramref name="source"/>; those named as CloudTrail digest files are passed by unopened.</summary>
    public IAsyncEnumerable<CloudEvent> ReadAsync(ILogInputSource source, CancellationToken cancellationToken = default) =>
        ReadAsync(source, passDigestsByName: true, cancellationToken);

    private async IAsyncEnumerable<CloudEvent> ReadAsync(ILogInputSource source, bool passDigestsByName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);

        // One channel per file, handed over in listing order, so files are framed side by side while
        // events still come out file by file. Everything is bounded: a slow consumer holds back
        // framing instead of letting batches pile up.
        var files = Channel.CreateBounded<ChannelReader<Task<MappedBatch>>>(new BoundedChannelOptions(_options.MaxDegreeOfParallelism + 1)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task>();
        var producer = Task.Run(() => ProduceAsync(source, passDigestsByName, files.Writer, running, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var file in files.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await foreach (var mapping in file.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    // A batch is counted as it is handed on, and handed on whole: a read stopped early (Ctrl+C) counts
                    // the records it gave, not those of batches mapped ahead and never handed on.
                    var events = await mapping.ConfigureAwait(false);
                    Summary.AddEvents(events.Count);
                    Summary.AddFiltered(events.Filtered);
                    foreach (var cloudEvent in events)
                    {
                        yield return cloudEvent;
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
            Task[] remaining;
            lock (running)
            {
                remaining = [.. running];
            }

            await Task.WhenAll(remaining).ConfigureAwait(false);
        }
    }

    private async Task ProduceAsync(ILogInputSource source, bool passDigestsByName, ChannelWriter<ChannelReader<Task<MappedBatch>>> files, List<Task> running, CancellationToken cancellationToken)
    {
        // Not disposed: file tasks may still release it after a cancelled listing has returned.
        var slots = new SemaphoreSlim(_options.MaxDegreeOfParallelism);
        try
        {
            await foreach (var input in source.ListAsync(Report, cancellationToken).ConfigureAwait(false))
            {
                if (passDigestsByName && CloudTrailDigest.IsName(input.Name))
                {
                    Summary.AddDigest();
                    continue;
                }

                Summary.AddFile();
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var file = Channel.CreateBounded<Task<MappedBatch>>(new BoundedChannelOptions(_options.MaxDegreeOfParallelism * 2)
                {
                    SingleReader = true,
                    SingleWriter = true,
                });
                await files.WriteAsync(file.Reader, cancellationToken).ConfigureAwait(false);
                // Asked to open here, in listing order, though read on another thread: a tar archive's entries come from one
                // stream read forward, which serves them in the order they are asked for.
                var opening = Open(input, cancellationToken);
                var task = Task.Run(() => RunFileAsync(input, opening, file.Writer, slots, cancellationToken), CancellationToken.None);
                lock (running)
                {
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(task);
                }
            }

            // Every started file must finish before the semaphore goes away.
            Task[] started;
            lock (running)
            {
                started = [.. running];
            }

            await Task.WhenAll(started).ConfigureAwait(false);
            files.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            files.TryComplete();
        }
        catch (Exception ex)
        {
            files.TryComplete(ex);
        }
    }

    private static Task<Stream> Open(LogInput input, CancellationToken cancellationToken)
    {
        try
        {
            return input.OpenAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // A file that cannot be opened fails at once; its read reports it.
            return Task.FromException<Stream>(ex);
        }
    }

    private async Task RunFileAsync(LogInput input, Task<Stream> opening, ChannelWriter<Task<MappedBatch>> writer, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await ProduceFileAsync(input, opening, writer, cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task ProduceFileAsync(LogInput input, Task<Stream> opening, ChannelWriter<Task<MappedBatch>> writer, CancellationToken cancellationToken)
    {
        Stream? stream = null;
        // Closed here unless handed on to be read: left to the collector, a zip archive's entry kept the next one waiting.
        Stream? opened = null;
        try
        {
            opened = await opening.ConfigureAwait(false);
            var raw = new CountingStream(opened, Summary.AddBytes);
            var (decoded, problem) = await InputDecoder.DecodeAsync(raw, input.Name, cancellationToken, _options.MaxRecordBytes).ConfigureAwait(false);
            if (problem is not null)
            {
                Report(problem);
            }

            if (decoded is null)
            {
                return;
            }

            stream = decoded;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            Report(new ReadProblem(input.Name, null, null, $"cannot open: {ex.Message}") { EndsInput = true });
            return;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The SDK's own time limit (an object whose server does not answer): this object is not read, the others are.
            Report(new ReadProblem(input.Name, null, null, $"cannot open: no answer in time ({ex.Message})") { EndsInput = true });
            return;
        }
        finally
        {
            if (stream is null)
            {
                await CloseAsync(opened).ConfigureAwait(false);
            }
        }

        await using (stream.ConfigureAwait(false))
        {
            var framer = new RecordFramer(input.Name, _options, Report);
            await foreach (var batch in framer.ReadAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                var mapping = _options.MaxDegreeOfParallelism == 1
                    ? Task.FromResult(MapBatch(batch))
                    : Task.Run(() => MapBatch(batch), CancellationToken.None);
                await writer.WriteAsync(mapping, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task CloseAsync(Stream? stream)
    {
        try
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            // Closing what could not be read; its problem is already reported.
        }
    }

    /// <summary>The events of one batch, and how many of its records the pre-filter skipped.</summary>
    private sealed class MappedBatch(int capacity) : List<CloudEvent>(capacity)
    {
        public int Filtered { get; set; }
    }

    private MappedBatch MapBatch(RecordBatch batch)
    {
        try
        {
            var events = new MappedBatch(batch.Records.Count);
            IRecordMapper? last = _options.Format == LogFormat.Auto ? null : RecordMappers.For(_options.Format);
            var documentOptions = new JsonDocumentOptions { MaxDepth = _options.MaxDepth };
            var filter = _options.RawFilter;
            var filtered = 0;
            // The framer's problems go out in place among the records' own.
            var framerProblems = 0;
            void ReportFramerProblemsBefore(int record)
            {
                while (framerProblems < batch.Problems.Count && batch.Problems[framerProblems].Before <= record)
                {
                    Report(batch.Problems[framerProblems++].Problem);
                }
            }

            for (var i = 0; i < batch.Records.Count; i++)
            {
                ReportFramerProblemsBefore(i);

                var record = batch.Records[i];
                var bytes = batch[record];
                if (filter is not null && !filter(bytes))
                {
                    // Records are framed without their syntax being checked, and one skipped unparsed must still be
                    // reported when it is malformed: a damaged log read as "0 errors" would mislead.
                    // Nor may a record of no format the reader knows be counted as skipped: the raw filter judges by
                    // texts a record contains, and a record can hold a format's names without being of it (a CloudTrail
                    // event wrapped by EventBridge, a stray {"operationName": 1}). One without the top-level shape of a
                    // format recognised from its names alone is parsed, as it would have been read, and reported if no
                    // format takes it.
                    string? malformed;
                    var kept = false;
                    try
                    {
                        malformed = RecordFramer.CheckSyntax(bytes, _options.MaxDepth, record.LineRecord, out var knownShape);
                        if (malformed is null && !knownShape && _options.Format == LogFormat.Auto)
                        {
                            // Nor may names nested in it have misled the filter about its log.
                            kept = _options.RawFilterForUnknownShape?.Invoke(bytes) == true;
                            malformed = kept ? null : Unrecognised(bytes, documentOptions, record.LineRecord);
                            if (ReferenceEquals(malformed, DigestRecord))
                            {
                                Summary.AddDigest();
                                continue;
                            }

                            if (ReferenceEquals(malformed, ControlMessage))
                            {
                                continue;
                            }
                        }
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
                    {
                        // As for a record read: a value nothing foresaw costs its record, never the rest of the hunt.
                        malformed = $"record could not be read: {RecordFramer.Brief(ex.Message.ReplaceLineEndings(" "))}";
                    }

                    if (!kept)
                    {
                        if (malformed is not null)
                        {
                            Report(new ReadProblem(batch.Source, record.Line, record.Index, malformed));
                        }
                        else
                        {
                            filtered++;
                        }

                        continue;
                    }
                }

                CloudEvent? cloudEvent;
                (string Reason, ProblemSeverity Severity)? problem;
                try
                {
                    cloudEvent = MapRecord(bytes, documentOptions, new EventOrigin(batch.Source, record.Line, record.Index), record.LineRecord, ref last, out problem);
                }
                catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
                {
                    // A value no mapper foresaw must cost its record, reported, never the rest of the hunt.
                    cloudEvent = null;
                    problem = ($"record could not be read: {RecordFramer.Brief(ex.Message.ReplaceLineEndings(" "))}", ProblemSeverity.Error);
                }

                if (cloudEvent is not null)
                {
                    events.Add(cloudEvent);
                }

                if (problem is not null)
                {
                    Report(new ReadProblem(batch.Source, record.Line, record.Index, problem.Value.Reason, problem.Value.Severity));
                }
            }

            ReportFramerProblemsBefore(int.MaxValue);
            events.Filtered = filtered;
            return events;
        }
        finally
        {
            batch.Release();
        }
    }

    /// <summary>What <see cref="Unrecognised"/> answers for a CloudTrail digest file's content: no problem, and no event.</summary>
    private static readonly string DigestRecord = new("CloudTrail digest");

    /// <summary>
    /// What <see cref="TryPrepare"/> answers for a CloudWatch Logs subscription's control message (<c>CWL CONTROL MESSAGE:
    /// Checking health of destination Firehose.</c>, sent when a subscription starts): no log, no problem, and no event.
    /// </summary>
    private static readonly string ControlMessage = new("CloudWatch Logs control message");

    /// <summary>
    /// Why a record that is well-formed JSON would not be read, when no format recognises it; null when one does;
    /// <see cref="DigestRecord"/> itself for a CloudTrail digest.
    /// </summary>
    private static string? Unrecognised(ReadOnlySpan<byte> bytes, JsonDocumentOptions documentOptions, bool lineRecord)
    {
        if (!TryPrepare(bytes, documentOptions, lineRecord, out var element, out _, out var problem))
        {
            return problem;
        }

        if (RecordMappers.Detect(element) is not null) return null;
        return CloudTrailDigest.Is(element) ? DigestRecord : UnrecognisedFormat(element);
    }

    private static string UnrecognisedFormat(JsonElement element) => $"unrecognised record format (fields: {FieldNames(element)})";

    /// <summary>What a record whose time is the first instant of year one is kept with.</summary>
    internal const string YearOneTime = "record's time is 0001-01-01T00:00:00Z, written for a time not known; kept with an unknown time";

    /// <summary>Inputs already warned of what their every record shares (<see cref="EntraRecord.CutShortWarning"/>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _warnedOnce = new(StringComparer.Ordinal);

    private CloudEvent? MapRecord(ReadOnlySpan<byte> bytes, JsonDocumentOptions documentOptions, EventOrigin origin, bool lineRecord, ref IRecordMapper? last, out (string Reason, ProblemSeverity Severity)? problem)
    {
        problem = null;
        if (!TryPrepare(bytes, documentOptions, lineRecord, out var element, out var envelope, out var reason, out var note))
        {
            problem = ReferenceEquals(reason, ControlMessage) ? null : (reason, ProblemSeverity.Error);
            return null;
        }

        var mapper = _options.Format != LogFormat.Auto || last?.Matches(element) == true ? last : RecordMappers.Detect(element);
        reason = null;
        var cloudEvent = mapper?.Map(element, origin, out reason);
        if (cloudEvent is not null && _options.Format != LogFormat.Auto && !mapper!.Matches(element)
            && RecordMappers.Detect(element) is { } other && other.Format != mapper.Format)
        {
            // A forced format reads every record as its own, and the Azure and Entra mappers find a time and an operation
            // in each other's records: an Entra audit log read as sign-ins gave events and no problem, a log read as clean.
            // A record plainly of another known format, and not of the forced one's shape, is reported as such.
            cloudEvent = null;
            reason = RecordMappers.OfAnotherFormat(mapper.Format, other.Format);
        }

        if (cloudEvent is null && CloudTrailDigest.Is(element))
        {
            // A digest is no event, nor a problem: no format knows it, or a forced one takes it for its own and fails.
            Summary.AddDigest();
            return null;
        }

        if (mapper is null)
        {
            problem = (UnrecognisedFormat(element), ProblemSeverity.Error);
            return null;
        }

        last = mapper;
        if (ReferenceEquals(reason, EntraRecord.CutShortWarning) && !_warnedOnce.TryAdd(origin.Source, 0))
        {
            // Every record of such a file holds the same loss: the first tells it.
            reason = null;
        }

        if (cloudEvent is { Time.UtcTicks: 0 } && reason?.Contains("unknown time", StringComparison.Ordinal) != true)
        {
            // Year one at midnight is the value an unknown time takes (DateTimeOffset's default), and the hunt shows it
            // as none: a record that writes it (a zeroed time, 0001-01-01T00:00:00Z) is kept with an unknown time, said.
            reason = reason is null ? YearOneTime : $"{reason}; {YearOneTime}";
        }

        if (reason is not null)
        {
            problem = (reason, cloudEvent is null ? ProblemSeverity.Error : ProblemSeverity.Warning);
        }
        else if (note is not null && cloudEvent is not null)
        {
            problem = (note, ProblemSeverity.Warning);
        }

        // An EventBridge envelope names the account and region the event came from; the record inside may not.
        if (cloudEvent is { Account: null } or { Region: null } && envelope.ValueKind == JsonValueKind.Object)
        {
            cloudEvent = cloudEvent with
            {
                Account = cloudEvent.Account ?? EnvelopeText(envelope, "account"u8),
                Region = cloudEvent.Region ?? EnvelopeText(envelope, "region"u8),
            };
        }

        return cloudEvent;
    }

    /// <summary>
    /// Parses a record into the element a mapper reads: a CloudTrail Lake result row joined into one object, a record
    /// that LookupEvents wrapped as text unwrapped. False, with the reason, for a record that is not well-formed.
    /// </summary>
    private static string? EnvelopeText(JsonElement envelope, ReadOnlySpan<byte> name) =>
        envelope.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    /// <summary>
    /// JSON text unwrapped from a record (its escapes were checked as the outer record's text, not as the JSON it holds),
    /// read again with U+FFFD in place of each <c>\u</c> escape of half a surrogate pair, when it holds one; the note says so.
    /// </summary>
    private static JsonElement Repaired(JsonElement unwrapped, JsonDocumentOptions documentOptions, ref string? note)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(unwrapped);
        if (raw.IndexOf("\\u"u8) < 0 || !HasLoneSurrogate(raw))
        {
            return unwrapped;
        }

        note = LoneSurrogateReplaced;
        return Parse(ReplaceLoneSurrogates(raw), documentOptions);
    }

    /// <summary>What <see cref="TryPrepare"/> notes of a record read with U+FFFD in place of a lone surrogate's escape.</summary>
    internal const string LoneSurrogateReplaced =
        "record holds a \\u escape of half a UTF-16 surrogate pair (such as \\ud800 alone), which is no character; read with U+FFFD in its place";

    /// <summary>The record parsed from pooled memory and cloned at its exact size.</summary>
    private static JsonElement Parse(ReadOnlySpan<byte> bytes, JsonDocumentOptions documentOptions)
    {
        var copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
        try
        {
            bytes.CopyTo(copy);
            using var document = JsonDocument.Parse(copy.AsMemory(0, bytes.Length), documentOptions);
            return document.RootElement.Clone();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// The JSON text with every <c>\u</c> escape of half a surrogate pair (one not part of a high-then-low pair) written as
    /// <c>\ufffd</c>. Escaped backslashes are passed over whole, so <c>\\ud800</c> (a backslash, then text) is left alone.
    /// </summary>
    internal static byte[] ReplaceLoneSurrogates(ReadOnlySpan<byte> json)
    {
        static int Hex(ReadOnlySpan<byte> text, int at) =>
            at + 6 <= text.Length && text[at] == (byte)'\\' && text[at + 1] == (byte)'u'
            && int.TryParse(text.Slice(at + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var code) ? code : -1;

        var output = new List<byte>(json.Length);
        for (var i = 0; i < json.Length;)
        {
            if (json[i] != (byte)'\\' || i + 1 >= json.Length)
            {
                output.Add(json[i++]);
                continue;
            }

            var code = Hex(json, i);
            if (code is >= 0xD800 and <= 0xDBFF && Hex(json, i + 6) is >= 0xDC00 and <= 0xDFFF)
            {
                output.AddRange(json.Slice(i, 12));
                i += 12;
            }
            else if (code is >= 0xD800 and <= 0xDFFF)
            {
                output.AddRange("\\ufffd"u8);
                i += 6;
            }
            else
            {
                var length = code >= 0 ? 6 : 2;
                output.AddRange(json.Slice(i, length));
                i += length;
            }
        }

        return [.. output];
    }

    private static bool TryPrepare(ReadOnlySpan<byte> bytes, JsonDocumentOptions documentOptions, bool lineRecord, out JsonElement element, out JsonElement envelope,
        [NotNullWhen(false)] out string? problem) => TryPrepare(bytes, documentOptions, lineRecord, out element, out envelope, out problem, out _);

    private static bool TryPrepare(ReadOnlySpan<byte> bytes, JsonDocumentOptions documentOptions, bool lineRecord, out JsonElement element, out JsonElement envelope,
        [NotNullWhen(false)] out string? problem, out string? note)
    {
        element = default;
        envelope = default;
        problem = null;
        note = null;
        if (!Utf8.IsValid(bytes))
        {
            problem = RecordFramer.NotUtf8;
            return false;
        }

        try
        {
            // The event's Raw outlives this read. Parsed from a pooled copy, with pooled metadata, and cloned: the clone
            // holds the record and its metadata at their exact sizes, and the pooled arrays go back for the next record.
            // Kept undisposed instead, every document lost a pooled array of up to twice the record's size to the collector,
            // a third of what a hunt allocated. (JsonElement.ParseValue allocates as much and scans the record twice.)
            element = Parse(bytes, documentOptions);
        }
        catch (JsonException ex)
        {
            problem = lineRecord ? RecordFramer.LineSyntaxError(ex) : RecordFramer.RecordSyntaxError(ex);
            return false;
        }

        // JSON lets a \u escape write half of a UTF-16 surrogate pair, which is no character: the runtime refuses to read
        // such a string (one in any field ended the whole hunt). Rejecting the record let anyone who could put such an
        // escape in one field (a user agent, a request parameter) keep the whole call from every rule: the record is read
        // with U+FFFD, the replacement character, in the escape's place, and a warning says so.
        if (bytes.IndexOf("\\u"u8) >= 0 && HasLoneSurrogate(bytes))
        {
            element = Parse(ReplaceLoneSurrogates(bytes), documentOptions);
            note = LoneSurrogateReplaced;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            if (LakeRow.ToObject(element) is not { } row)
            {
                problem = "record is an array, not an object or a CloudTrail Lake result row";
                return false;
            }

            element = row;
        }

        // CloudTrail's LookupEvents API (and `aws cloudtrail lookup-events`) wraps each full record
        // as JSON text in CloudTrailEvent; the inner record is the one to map.
        if (element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty("CloudTrailEvent", out var inner)
            && inner.ValueKind == JsonValueKind.String
            && ((JsonElement?)inner).Dynamic() is { ValueKind: JsonValueKind.Object } unwrapped)
        {
            element = Repaired(unwrapped, documentOptions, ref note);
        }

        // CloudWatch Logs keeps each record as the text of a log event's message ({"timestamp": 1768467601123, "message": "{...}"}),
        // in what a subscription delivers (logEvents) and what `aws logs filter-log-events` prints (events): a trail sent to
        // CloudWatch Logs. The record is the message, when it is a JSON object.
        if (element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty("message"u8, out var message)
            && message.ValueKind == JsonValueKind.String
            && element.TryGetProperty("timestamp"u8, out var stamp)
            && stamp.ValueKind == JsonValueKind.Number)
        {
            if (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(message).StartsWith("\"CWL CONTROL MESSAGE:"u8))
            {
                problem = ControlMessage;
                return false;
            }

            if (((JsonElement?)message).Dynamic() is not { ValueKind: JsonValueKind.Object } logged)
            {
                problem = "CloudWatch Logs event whose message is not a JSON object (a log other than an audit log)";
                return false;
            }

            element = Repaired(logged, documentOptions, ref note);
        }

        // EventBridge delivers CloudTrail events ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "AWS
        // Service Event via CloudTrail", "AWS Console Action via CloudTrail", "AWS Insight via CloudTrail", "AWS Network
        // Activity Event via CloudTrail", and any kind added later, all named "... via CloudTrail") in an envelope of its
        // own; the record is its detail.
        if (element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty("detail-type", out var detailType)
            && detailType.ValueKind == JsonValueKind.String
            && detailType.GetString() is { } kind && kind.StartsWith("AWS ", StringComparison.Ordinal) && kind.EndsWith(" via CloudTrail", StringComparison.Ordinal)
            && element.TryGetProperty("detail", out var detail)
            && detail.ValueKind == JsonValueKind.Object)
        {
            envelope = element;
            element = detail;
        }

        // A Cloud Audit Logs entry exported from a BigQuery log sink's table: written back into the LogEntry shape.
        if (bytes.IndexOf("protopayload_auditlog"u8) >= 0 && BigQueryAuditRow.Is(element))
        {
            if (BigQueryAuditRow.ToLogEntry(element, documentOptions.MaxDepth, out var why) is not { } entry)
            {
                problem = why!;
                return false;
            }

            element = Repaired(entry, documentOptions, ref note);
        }

        return true;
    }

    /// <summary>Whether a string or name in the JSON escapes half a UTF-16 surrogate pair (<c>\ud800</c> alone), which no reader can turn into text.</summary>
    internal static bool HasLoneSurrogate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 1024 });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string FieldNames(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return element.ValueKind.ToString();
        }

        var names = new StringBuilder();
        foreach (var property in element.EnumerateObject().Take(6))
        {
            names.Append(names.Length == 0 ? "" : ", ").Append(property.Name);
        }

        return names.ToString();
    }

    private void Report(ReadProblem problem)
    {
        Summary.Add(problem);
        _options.OnProblem?.Invoke(problem);
    }
}

/// <summary>
/// CloudTrail Lake's GetQueryResults writes each row as an array of one-column objects
/// (<c>[{"eventName":"..."},{"eventTime":"..."}]</c>); this joins a row into one object.
/// </summary>
internal static class LakeRow
{
    public static JsonElement? ToObject(JsonElement row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        // Text written as it was, not escaped anew: the stored record must read and search as the trail's own would.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 1024 }))
        {
            writer.WriteStartObject();
            foreach (var cell in row.EnumerateArray())
            {
                if (cell.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                foreach (var column in cell.EnumerateObject())
                {
                    column.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }
}
