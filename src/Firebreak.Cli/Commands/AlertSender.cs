using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Core.Alerts;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Sends hunt hits to a server's generic alert intake. Each chunk carries an Idempotency-Key computed
/// from the hits in it, and chunks are cut from hits in a fixed order at boundaries the hits decide, so
/// running the same hunt again replays the same keys and the server stores nothing twice.
/// </summary>
internal sealed partial class AlertSender(HttpClient http, TimeSpan silence) : IAsyncDisposable
{
    public const string Source = "firebreak-hunt";

    /// <summary>Far below the server's batch limit, so one request stays well inside its body size limit.</summary>
    private const int ChunkSize = 500;

    /// <summary>Tries of one request that meets a busy or failing server (429, 5xx), a dropped connection or no answer in time.</summary>
    internal const int Attempts = 4;

    /// <summary>The longest a Retry-After is waited out for.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    public static AlertSender Create(string server, string apiKey, TimeSpan? timeout = null)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException(ExitCodes.Usage, server.Contains('@', StringComparison.Ordinal)
                ? "--send-to must be an http:// or https:// URL."
                : $"--send-to must be an http:// or https:// URL, not '{server}'.");
        // A password in the URL would be echoed in every message that names the server (and it is not how the server
        // authenticates: the API key is).
        if (uri.UserInfo.Length > 0)
            throw new CliException(ExitCodes.Usage, $"--send-to must not carry a user name or password; the API key authenticates: write {uri.Scheme}://{uri.Authority}{uri.AbsolutePath}.");
        // The timeout is for silence, not for the whole exchange: connecting, a body the server stops taking, or the wait
        // for its answer once the body is sent. A large upload the server keeps reading is never cut off (timing the
        // whole request restarted it from its first byte on every try, and one slower than the timeout never got through).
        var silence = timeout ?? TimeSpan.FromSeconds(60);
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = silence })
        {
            BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new AlertSender(http, silence);
    }

    public sealed record Outcome(int Alerts, int Requests, int Replayed);

    /// <summary>
    /// Sends the hits in chunks, in the order given (time, rule, event). Where a chunk ends is decided by
    /// the hits themselves, not by counting from the first: a chunk ends after a hit whose reference hashes
    /// to a boundary (one in <see cref="BoundaryOdds"/>, once the chunk holds <see cref="MinChunkSize"/>), or
    /// at <see cref="ChunkSize"/>. A second run that finds one hit more or fewer (a correlation's count can
    /// differ between runs) changes the chunk that hit falls in, and the chunks after the next boundary are
    /// the same as before, with the same keys: the server replays them and stores nothing twice. Counting
    /// from the first hit moved every later boundary, and every chunk after it was sent again.
    /// </summary>
    public async Task<Outcome> SendAsync(IEnumerable<HuntHit> hits, CancellationToken cancellationToken)
    {
        int sent = 0, requests = 0, replayed = 0;
        foreach (var chunk in AlertChunks(hits))
        {
            var key = "firebreak-hunt-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', chunk.Select(a => a.Reference)))));
            var body = Batch(chunk);
            var text = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/alerts/batch") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add("Idempotency-Key", key);
                return request;
            }, "alerts", cancellationToken);
            // Any server answers 200 to a POST it ignores (a web server's page, a proxy's {}): only an answer that accounts for
            // every alert sent counts, so a wrong --send-to is an error, not "Sent 300 alert(s)".
            if (!AcceptedAll(text, chunk.Count, out var wasReplayed))
            {
                throw new CliException(ExitCodes.Usage,
                    $"The server at {http.BaseAddress} answered the alerts with something other than a Firebreak server's answer ({HuntCommand.Visible(Detail(text).ReplaceLineEndings(" "))}): is --send-to the Firebreak server's address?");
            }

            sent += chunk.Count;
            requests++;
            if (wasReplayed) replayed++;
        }

        return new Outcome(sent, requests, replayed);
    }

    /// <summary>Hits a chunk holds at least before a boundary may end it.</summary>
    internal const int MinChunkSize = 64;

    /// <summary>One hit in this many ends a chunk (past <see cref="MinChunkSize"/>): chunks hold about 320 hits.</summary>
    internal const int BoundaryOdds = 256;

    /// <summary>
    /// Bytes of alerts a chunk holds at most, half the server's body limit: 500 alerts each near the text limits (a
    /// bucket policy among the matched fields, its quotes written as <c>\u0022</c>) made a body past the limit, which
    /// the server refused on every run.
    /// </summary>
    internal const int MaxChunkBytes = (int)(AlertLimits.MaxBodyBytes / 2);

    /// <summary>The hits cut into chunks as they are sent (see <see cref="AlertChunks"/>).</summary>
    internal static IEnumerable<List<HuntHit>> Chunks(IEnumerable<HuntHit> hits) => AlertChunks(hits).Select(chunk => chunk.ConvertAll(a => a.Hit));

    /// <summary>One hit's alert as it is sent, and the reference its chunk's key is made from.</summary>
    private readonly record struct SentAlert(HuntHit Hit, string Reference, byte[] Json);

    /// <summary>
    /// The hits' alerts, each built and serialised once, cut into chunks at boundaries the hits decide (see
    /// <see cref="SendAsync(IEnumerable{HuntHit}, CancellationToken)"/>), and before an alert that would take the chunk
    /// past <see cref="MaxChunkBytes"/>.
    /// </summary>
    private static IEnumerable<List<SentAlert>> AlertChunks(IEnumerable<HuntHit> hits)
    {
        var chunk = new List<SentAlert>(ChunkSize);
        long bytes = 0;
        foreach (var hit in hits)
        {
            var alert = ToAlert(hit);
            var json = JsonSerializer.SerializeToUtf8Bytes(alert, JsonSerializerOptions.Web);
            if (chunk.Count > 0 && bytes + json.Length + 1 > MaxChunkBytes)
            {
                yield return chunk;
                chunk = new List<SentAlert>(ChunkSize);
                bytes = 0;
            }

            chunk.Add(new SentAlert(hit, (string)alert["sourceReference"]!, json));
            bytes += json.Length + 1;
            if (chunk.Count >= ChunkSize || (chunk.Count >= MinChunkSize && IsBoundary(Reference(hit))))
            {
                yield return chunk;
                chunk = new List<SentAlert>(ChunkSize);
                bytes = 0;
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>A batch request's body, <c>{"schemaVersion":"1","alerts":[...]}</c>, from alerts already serialised.</summary>
    private static byte[] Batch(List<SentAlert> chunk)
    {
        var body = new ArrayBufferWriter<byte>(chunk.Sum(a => a.Json.Length + 1) + 64);
        body.Write("""{"schemaVersion":"1","alerts":["""u8);
        for (var i = 0; i < chunk.Count; i++)
        {
            if (i > 0) body.Write(","u8);
            body.Write(chunk[i].Json);
        }

        body.Write("]}"u8);
        return body.WrittenSpan.ToArray();
    }

    /// <summary>FNV-1a over the reference's UTF-8 bytes: the same on every machine and run, unlike string hash codes.</summary>
    private static bool IsBoundary(string reference)
    {
        var hash = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[512];
        var bytes = Encoding.UTF8.GetByteCount(reference) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(reference, buffer)] : Encoding.UTF8.GetBytes(reference);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return (hash ^ (hash >> 32)) % BoundaryOdds == 0;
    }

    public sealed record Attached(int Events, string ImportId, string Status);

    /// <summary>
    /// Uploads the raw records behind the hits to the incident's event import, as JSON lines, streamed
    /// as the hits are read (in time order, as given), so no more than one record is held at a time. A
    /// record hit by several rules goes once. The server deduplicates by event id, so sending the same
    /// hunt again stores nothing twice.
    /// </summary>
    public async Task<Attached> AttachEventsAsync(string incident, IEnumerable<HuntHit> hits, CancellationToken cancellationToken)
    {
        // Each try streams the records again; the server keeps an event id once, so a try that had reached it stores nothing twice.
        EventLinesContent? body = null;
        using var json = JsonDocument.Parse(await SendAsync(() =>
        {
            body = new EventLinesContent(hits);
            var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/incidents/{Uri.EscapeDataString(incident)}/events/imports/upload?name=firebreak-hunt.jsonl") { Content = body };
            request.Headers.Add("X-Firebreak-Source", "hunt");
            return request;
        }, "events", cancellationToken));
        return new Attached(body!.Records, json.RootElement.GetProperty("id").GetString() ?? "", json.RootElement.GetProperty("status").GetString() ?? "");
    }

    /// <summary>
    /// A request's body with its progress reported: every piece of at most 64 KB the server takes restarts the silence
    /// timer, so a body sent slowly but steadily is never timed out.
    /// </summary>
    private sealed class ProgressContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly Action progress;

        public ProgressContent(HttpContent inner, Action progress)
        {
            this.inner = inner;
            this.progress = progress;
            Headers.ContentType = inner.Headers.ContentType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            inner.CopyToAsync(new ProgressStream(stream, progress), context, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Writes through to the request's stream in pieces, reporting each one taken.</summary>
    private sealed class ProgressStream(Stream inner, Action progress) : Stream
    {
        private const int Piece = 64 * 1024;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            for (var at = 0; at < buffer.Length; at += Piece)
            {
                inner.Write(buffer[at..Math.Min(buffer.Length, at + Piece)]);
                progress();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            for (var at = 0; at < buffer.Length; at += Piece)
            {
                await inner.WriteAsync(buffer[at..Math.Min(buffer.Length, at + Piece)], cancellationToken);
                progress();
            }
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The records behind hits in time order, one per line; copies of a record (same id, or same text) at one time are written once.</summary>
    private sealed class EventLinesContent : HttpContent
    {
        private static readonly byte[] NewLine = "\n"u8.ToArray();
        private readonly IEnumerable<HuntHit> hits;

        public EventLinesContent(IEnumerable<HuntHit> hits)
        {
            this.hits = hits;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        public int Records { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            Records = 0;
            var seenAtTime = new HashSet<string>(StringComparer.Ordinal);
            DateTimeOffset? time = null;
            var buffered = new BufferedStream(stream, 1 << 16); // not disposed: the request's stream is the client's to close
            foreach (var e in hits.Select(h => h.Event).OfType<CloudEvent>())
            {
                if (time != e.Time)
                {
                    time = e.Time;
                    seenAtTime.Clear();
                }

                var raw = e.Raw.ValueKind == JsonValueKind.Undefined ? default : JsonMarshal.GetRawUtf8Value(e.Raw);
                if (!seenAtTime.Add(e.EventId is { } id ? "id:" + id : "raw:" + Encoding.UTF8.GetString(raw)))
                {
                    continue;
                }

                await buffered.WriteAsync(raw.ToArray(), cancellationToken);
                await buffered.WriteAsync(NewLine, cancellationToken);
                Records++;
            }

            await buffered.FlushAsync(cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>
    /// Sends a request and gives the answer's text. A busy server (429, its Retry-After waited out up to
    /// <see cref="LongestWait"/>), a failing one (5xx), a dropped connection or no answer within the timeout is tried
    /// again, <see cref="Attempts"/> times in all, 1, 2 then 4 s apart: every request is idempotent (the alerts carry
    /// their Idempotency-Key, the events their ids), so a try the server had taken stores nothing twice. A refusal, or
    /// the last try failing, is a CLI error.
    /// </summary>
    private async Task<string> SendAsync(Func<HttpRequestMessage> make, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            var wait = TimeSpan.FromSeconds(1 << (attempt - 1));
            using (var request = make())
            using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                quiet.CancelAfter(silence);
                if (request.Content is { } content)
                {
                    request.Content = new ProgressContent(content, () => quiet.CancelAfter(silence));
                }

                try
                {
                    using var response = await http.SendAsync(request, quiet.Token);
                    var text = await response.Content.ReadAsStringAsync(quiet.Token);
                    if (response.IsSuccessStatusCode) return text;
                    var transient = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
                    var exit = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Refused : ExitCodes.Usage;
                    failure = $"The server refused the {what} ({(int)response.StatusCode}): {Detail(text)}";
                    if (!transient) throw new CliException(exit, failure);
                    if (response.Headers.RetryAfter?.Delta is { } after) wait = after < TimeSpan.Zero ? TimeSpan.Zero : after > LongestWait ? LongestWait : after;
                }
                catch (HttpRequestException e)
                {
                    failure = $"Cannot reach the Firebreak server at {http.BaseAddress}: {e.Message}";
                }
                catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    failure = $"The Firebreak server at {http.BaseAddress} gave no answer within {silence.TotalSeconds:0} seconds: it was silent that long (connecting, taking the request or answering).";
                }
                catch (IOException e)
                {
                    // The answer broke off after its headers.
                    failure = $"The Firebreak server at {http.BaseAddress} broke off its answer: {e.Message}";
                }
            }

            if (attempt == Attempts)
            {
                throw new CliException(ExitCodes.Usage, $"{failure} (tried {Attempts} times)");
            }

            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>Whether a batch's answer is Firebreak's: an object listing one outcome per alert sent, and whether it was replayed.</summary>
    internal static bool AcceptedAll(string body, int count, out bool replayed)
    {
        replayed = false;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("alerts", out var alerts) || alerts.ValueKind != JsonValueKind.Array
                || alerts.GetArrayLength() != count)
            {
                return false;
            }

            replayed = root.TryGetProperty("replayed", out var r) && r.ValueKind == JsonValueKind.True;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var text = json.RootElement.TryGetProperty("detail", out var d) ? d.ToString() : json.RootElement.TryGetProperty("title", out var t) ? t.ToString() : body;
            // A validation problem names what was refused in its errors ({"field": ["message"]}): the generic detail alone
            // ("One or more fields are invalid.") does not say what to fix.
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                var named = errors.EnumerateObject().Take(5)
                    .Select(e => $"{e.Name}: {(e.Value.ValueKind == JsonValueKind.Array ? string.Join(" ", e.Value.EnumerateArray().Select(m => m.ToString())) : e.Value.ToString())}");
                text = $"{text} ({string.Join("; ", named)})";
            }

            return HuntCommand.Visible(text.Length > 2000 ? text[..2000] + "..." : text);
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }

    /// <summary>Stable across runs: the rule and the event it matched (or, for a correlation, its group and window).</summary>
    public static string Reference(HuntHit hit)
    {
        if (hit.Event is { } e)
        {
            var eventKey = e.EventId ?? (e.Origin is { } o ? $"{o.Source}:{o.RecordIndex}" : e.Time.ToString("O"));
            return $"{hit.RuleKey}:{eventKey}";
        }

        var group = string.Join(",", hit.Fields.Select(f => $"{f.Name}={f.Value}"));
        return $"{hit.RuleKey}:{group}:{hit.Correlation?.FirstSeen:O}";
    }

    /// <summary>
    /// The alert a hit becomes, every text within the server's limits (<see cref="AlertLimits"/>) and without NUL
    /// characters, which it refuses: one value past them (a bucket policy of 20 KB among the matched fields, a NUL
    /// escaped in a record) had the server refuse the whole chunk, and every run again.
    /// </summary>
    internal static Dictionary<string, object?> ToAlert(HuntHit hit)
    {
        var e = hit.Event;
        var principals = new List<object>();
        var observables = new List<object>();
        if (e is not null)
        {
            if (Text(e.Actor.AccessKeyId, AlertLimits.ValueLength) is { } key) principals.Add(new { type = "access-key", value = key });
            if (Text(e.Actor.Arn, AlertLimits.ValueLength) is { } arn)
            {
                var type = string.Equals(e.Actor.Type, "Root", StringComparison.OrdinalIgnoreCase) ? "account"
                    : arn.Contains(":assumed-role/", StringComparison.Ordinal) || arn.Contains(":role/", StringComparison.Ordinal) ? "role" : "user";
                principals.Add(new { type, value = arn });
            }

            // An e-mail-shaped id or name is a user to search for: an Entra UPN or a GCP principal (their id; the display name
            // beside it, "Admin", is none), an SSO session named by the user's e-mail (the name of an assumed-role session).
            foreach (var user in new[] { e.Actor.Arn is null ? e.Actor.Uid : null, e.Actor.Name }.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (Text(user, AlertLimits.ValueLength) is { } value && value.Contains('@', StringComparison.Ordinal)) principals.Add(new { type = "user", value });
            }
            if (Text(e.SourceIp, AlertLimits.ValueLength) is { } ip)
            {
                // CloudTrail puts the calling service's host name here when AWS acts on its own behalf.
                observables.Add(IPAddress.TryParse(ip, out _) ? new { type = "ip", value = ip } : new { type = "domain", value = ip });
            }

            if (Text(e.UserAgent, AlertLimits.ValueLength) is { } agent) observables.Add(new { type = "user-agent", value = agent });
        }

        var fields = string.Join(", ", hit.Fields.Select(f => $"{f.Name}={f.Value}"));
        return new Dictionary<string, object?>
        {
            ["source"] = Source,
            ["sourceReference"] = SourceReference(hit),
            ["title"] = Text(hit.Title, AlertLimits.TitleLength) ?? Text(hit.RuleKey, AlertLimits.TitleLength) ?? "Hunt hit",
            ["description"] = Text(e is null
                ? $"Correlation met by {hit.Correlation?.Count} event(s)"
                  + (hit.Correlation is { } c && HuntCommand.AggregateText(c) is { } aggregate ? $" ({aggregate})" : "") + $": {fields}"
                : $"{e.Operation}" + (HuntCommand.Failure(e) is { } failure ? $" ({failure})" : "") + $" by {HuntCommand.Who(e)}"
                  + (fields.Length > 0 ? $"; matched {fields}" : ""), AlertLimits.DescriptionLength),
            ["severity"] = HuntCommand.Levels[HuntCommand.LevelRank(hit.Level)],
            ["detectedAt"] = HuntCommand.HitTime(hit),
            ["category"] = "cloud-audit-log",
            ["techniques"] = hit.Tags.Select(t => Technique().Match(t)).Where(m => m.Success).Select(m => m.Groups[1].Value.ToUpperInvariant()).Distinct().Take(AlertLimits.MaxListItems).ToList(),
            ["provider"] = e?.Provider is "aws" or "azure" or "gcp" ? e.Provider : null,
            ["account"] = Text(e?.Account, AlertLimits.ShortText),
            ["region"] = Text(e?.Region, AlertLimits.ShortText),
            ["resources"] = e?.Resources.Select(r => Text(r.Uid, AlertLimits.ValueLength)).OfType<string>().Distinct().Take(AlertLimits.MaxListItems).ToList() ?? [],
            ["principals"] = principals,
            ["observables"] = observables,
        };
    }

    /// <summary>
    /// The reference the server tells alerts apart by. One past its limit keeps its start and ends with a hash of the
    /// whole: cut short, a correlation's grouping on a long value (a user agent) lost the window's time at its end, and
    /// later windows became repeats of the first.
    /// </summary>
    internal static string SourceReference(HuntHit hit)
    {
        var reference = Reference(hit).Replace("\0", "", StringComparison.Ordinal);
        if (reference.Length <= AlertLimits.ReferenceLength) return reference;
        var hash = "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)));
        return Cut(reference, AlertLimits.ReferenceLength - hash.Length) + hash;
    }

    /// <summary>The text without NUL characters, cut to <paramref name="length"/> (never inside a surrogate pair); null when nothing but blanks is left.</summary>
    internal static string? Text(string? value, int length)
    {
        if (value is null) return null;
        if (value.Contains('\0', StringComparison.Ordinal)) value = value.Replace("\0", "", StringComparison.Ordinal);
        value = Cut(value, length);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>At most <paramref name="length"/> characters, never ending inside a surrogate pair.</summary>
    private static string Cut(string value, int length) =>
        value.Length <= length ? value : value[..(char.IsHighSurrogate(value[length - 1]) ? length - 1 : length)];

    // [0-9], not \d, which takes any script's digits: the server takes only ASCII ones, and refused the whole chunk.
    [GeneratedRegex(@"^attack\.(t[0-9]{4}(?:\.[0-9]{3})?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Technique();

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
