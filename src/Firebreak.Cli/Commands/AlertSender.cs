using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Sends hunt hits to a server's generic alert intake. Each chunk carries an Idempotency-Key computed
/// from the hits in it, and chunks are cut from hits in a fixed order at boundaries the hits decide, so
/// running the same hunt again replays the same keys and the server stores nothing twice.
/// </summary>
internal sealed partial class AlertSender(HttpClient http) : IAsyncDisposable
{
    public const string Source = "firebreak-hunt";

    /// <summary>Far below the server's batch limit, so one request stays well inside its body size limit.</summary>
    private const int ChunkSize = 500;

    public static AlertSender Create(string server, string apiKey)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException(ExitCodes.Usage, server.Contains('@', StringComparison.Ordinal)
                ? "--send-to must be an http:// or https:// URL."
                : $"--send-to must be an http:// or https:// URL, not '{server}'.");
        // A password in the URL would be echoed in every message that names the server (and it is not how the server
        // authenticates: the API key is).
        if (uri.UserInfo.Length > 0)
            throw new CliException(ExitCodes.Usage, $"--send-to must not carry a user name or password; the API key authenticates: write {uri.Scheme}://{uri.Authority}{uri.AbsolutePath}.");
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new AlertSender(http);
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
        foreach (var chunk in Chunks(hits))
        {
            var alerts = chunk.Select(ToAlert).ToList();
            var key = "firebreak-hunt-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', alerts.Select(a => a["sourceReference"])))));
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/alerts/batch")
            {
                Content = JsonContent.Create(new { schemaVersion = "1", alerts }),
            };
            request.Headers.Add("Idempotency-Key", key);
            var text = await SendAsync(request, "alerts", cancellationToken);
            sent += chunk.Count;
            requests++;
            if (text.Contains("\"replayed\":true", StringComparison.Ordinal)) replayed++;
        }

        return new Outcome(sent, requests, replayed);
    }

    /// <summary>Hits a chunk holds at least before a boundary may end it.</summary>
    internal const int MinChunkSize = 64;

    /// <summary>One hit in this many ends a chunk (past <see cref="MinChunkSize"/>): chunks hold about 320 hits.</summary>
    internal const int BoundaryOdds = 256;

    /// <summary>The hits cut into chunks at boundaries the hits decide (see <see cref="SendAsync(IEnumerable{HuntHit}, CancellationToken)"/>).</summary>
    internal static IEnumerable<List<HuntHit>> Chunks(IEnumerable<HuntHit> hits)
    {
        var chunk = new List<HuntHit>(ChunkSize);
        foreach (var hit in hits)
        {
            chunk.Add(hit);
            if (chunk.Count >= ChunkSize || (chunk.Count >= MinChunkSize && IsBoundary(Reference(hit))))
            {
                yield return chunk;
                chunk = new List<HuntHit>(ChunkSize);
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
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
        var body = new EventLinesContent(hits);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/incidents/{Uri.EscapeDataString(incident)}/events/imports/upload?name=firebreak-hunt.jsonl") { Content = body };
        request.Headers.Add("X-Firebreak-Source", "hunt");
        using var json = JsonDocument.Parse(await SendAsync(request, "events", cancellationToken));
        return new Attached(body.Records, json.RootElement.GetProperty("id").GetString() ?? "", json.RootElement.GetProperty("status").GetString() ?? "");
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

    /// <summary>Sends one request and gives the answer's text; an unreachable server or a refusal is a CLI error.</summary>
    private async Task<string> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Usage, $"Cannot reach the Firebreak server at {http.BaseAddress}: {e.Message}");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode) return text;
            var exit = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Refused : ExitCodes.Usage;
            throw new CliException(exit, $"The server refused the {what} ({(int)response.StatusCode}): {Detail(text)}");
        }
    }

    private static string Detail(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("detail", out var d) ? d.ToString() : json.RootElement.TryGetProperty("title", out var t) ? t.ToString() : body;
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

    internal static Dictionary<string, object?> ToAlert(HuntHit hit)
    {
        var e = hit.Event;
        var principals = new List<object>();
        var observables = new List<object>();
        if (e is not null)
        {
            if (e.Actor.AccessKeyId is { Length: > 0 } key) principals.Add(new { type = "access-key", value = key });
            if (e.Actor.Arn is { Length: > 0 } arn)
            {
                var type = string.Equals(e.Actor.Type, "Root", StringComparison.OrdinalIgnoreCase) ? "account"
                    : arn.Contains(":assumed-role/", StringComparison.Ordinal) || arn.Contains(":role/", StringComparison.Ordinal) ? "role" : "user";
                principals.Add(new { type, value = arn });
            }

            if (e.Actor.Name is { } name && name.Contains('@', StringComparison.Ordinal)) principals.Add(new { type = "user", value = name });
            if (e.SourceIp is { Length: > 0 } ip)
            {
                // CloudTrail puts the calling service's host name here when AWS acts on its own behalf.
                observables.Add(IPAddress.TryParse(ip, out _) ? new { type = "ip", value = ip } : new { type = "domain", value = ip });
            }

            if (e.UserAgent is { Length: > 0 } agent) observables.Add(new { type = "user-agent", value = Cap(agent) });
        }

        var fields = string.Join(", ", hit.Fields.Select(f => $"{f.Name}={f.Value}"));
        return new Dictionary<string, object?>
        {
            ["source"] = Source,
            ["sourceReference"] = Cap(Reference(hit), 500),
            ["title"] = Cap(hit.Title, 500),
            ["description"] = e is null
                ? $"Correlation met by {hit.Correlation?.Count} event(s): {fields}"
                : $"{e.Operation} by {e.Actor.Arn ?? e.Actor.Name ?? "unknown"}" + (fields.Length > 0 ? $"; matched {fields}" : ""),
            ["severity"] = HuntCommand.Levels[HuntCommand.LevelRank(hit.Level)],
            ["detectedAt"] = HuntCommand.HitTime(hit),
            ["category"] = "cloud-audit-log",
            ["techniques"] = hit.Tags.Select(t => Technique().Match(t)).Where(m => m.Success).Select(m => m.Groups[1].Value.ToUpperInvariant()).Distinct().ToList(),
            ["provider"] = e?.Provider is "aws" or "azure" or "gcp" ? e.Provider : null,
            ["account"] = e?.Account,
            ["region"] = e?.Region,
            ["resources"] = e?.Resources.Select(r => Cap(r.Uid)).Distinct().Take(200).ToList() ?? [],
            ["principals"] = principals,
            ["observables"] = observables,
        };
    }

    private static string Cap(string value, int length = 2048) => value.Length <= length ? value : value[..length];

    [GeneratedRegex(@"^attack\.(t\d{4}(?:\.\d{3})?)$", RegexOptions.IgnoreCase)]
    private static partial Regex Technique();

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
