using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Firebreak.Core.ThreatIntel;

/// <summary>A poll that failed; the message is shown on the feed and never holds a credential.</summary>
public sealed class FeedPollException(string message) : Exception(message);

/// <summary>What a poll brought: the indicators and the cursor to resume from next time.</summary>
public sealed record FetchResult(FeedDocument Document, string? Cursor, int Requests);

/// <summary>
/// Reads remote feeds over HTTP: TAXII 2.1 collections (discovery or API root, the collection, then
/// its objects page by page from the last X-TAXII-Date-Added-Last) and MISP feeds (manifest.json, then
/// the event files changed since the last poll).
/// </summary>
public sealed class FeedFetcher(IHttpClientFactory clients)
{
    public const string ClientName = "threat-intel";
    public const string TaxiiMediaType = "application/taxii+json;version=2.1";
    private const int MaxPages = 10_000;
    private const long MaxResponseBytes = ThreatIntelLimits.MaxUploadBytes;

    public Task<FetchResult> FetchAsync(ThreatFeed feed, string? secret, CancellationToken cancellationToken) => feed.Kind switch
    {
        FeedKind.Taxii => FetchTaxiiAsync(feed, secret, cancellationToken),
        FeedKind.Misp => FetchMispAsync(feed, secret, cancellationToken),
        _ => throw new FeedPollException("An upload feed has nothing to poll: upload STIX or MISP files to it."),
    };

    private async Task<FetchResult> FetchTaxiiAsync(ThreatFeed feed, string? secret, CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(ClientName);
        var requests = 0;
        var start = new Uri(feed.Url!);
        using (var first = await GetJsonAsync(http, feed, secret, start, TaxiiMediaType, cancellationToken))
        {
            requests++;
            // A discovery document names the API roots; an API root describes itself.
            if (first.Document.RootElement.TryGetProperty("api_roots", out var roots) && roots.ValueKind == JsonValueKind.Array)
            {
                var chosen = first.Document.RootElement.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                    : roots.EnumerateArray().FirstOrDefault().ValueKind == JsonValueKind.String ? roots[0].GetString() : null;
                if (chosen is null) throw new FeedPollException($"The TAXII discovery document at {start} lists no API root.");
                start = new Uri(start, chosen);
            }
        }
        var apiRoot = start.AbsoluteUri.EndsWith('/') ? start : new Uri(start.AbsoluteUri + "/");
        var collection = new Uri(apiRoot, $"collections/{Uri.EscapeDataString(feed.CollectionId!)}/");
        using (var description = await GetJsonAsync(http, feed, secret, collection, TaxiiMediaType, cancellationToken))
        {
            requests++;
            if (description.Document.RootElement.TryGetProperty("can_read", out var canRead) && canRead.ValueKind == JsonValueKind.False)
                throw new FeedPollException($"The TAXII collection {feed.CollectionId} does not allow reading (can_read is false).");
        }

        var objects = new List<JsonElement>();
        var documents = new List<JsonDocument>();
        var addedAfter = feed.Cursor;
        var newest = feed.Cursor;
        string? next = null;
        try
        {
            for (var page = 0; page < MaxPages; page++)
            {
                var query = new List<string>();
                if (addedAfter is { Length: > 0 }) query.Add("added_after=" + Uri.EscapeDataString(addedAfter));
                if (next is not null) query.Add("next=" + Uri.EscapeDataString(next));
                var url = new Uri(collection, "objects/" + (query.Count == 0 ? "" : "?" + string.Join('&', query)));
                var response = await GetJsonAsync(http, feed, secret, url, TaxiiMediaType, cancellationToken);
                requests++;
                documents.Add(response.Document);
                var root = response.Document.RootElement;
                var shown = url.GetLeftPart(UriPartial.Path);
                if (root.ValueKind != JsonValueKind.Object) throw new FeedPollException($"The TAXII envelope from {shown} is not a JSON object.");
                if (root.TryGetProperty("objects", out var list))
                {
                    if (list.ValueKind != JsonValueKind.Array) throw new FeedPollException($"The TAXII envelope from {shown} has 'objects' that is not an array.");
                    objects.AddRange(list.EnumerateArray());
                }
                if (response.DateAddedLast is { Length: > 0 } lastAdded)
                {
                    if (!DateTimeOffset.TryParse(lastAdded, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
                        throw new FeedPollException($"{shown}: X-TAXII-Date-Added-Last is not a timestamp.");
                    newest = lastAdded;
                }
                var more = root.TryGetProperty("more", out var m) && m.ValueKind == JsonValueKind.True;
                next = root.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                if (!more) break;
                if (next is null)
                {
                    // Without a next token a server pages by added_after alone.
                    if (response.DateAddedLast is not { Length: > 0 } || response.DateAddedLast == addedAfter)
                        throw new FeedPollException($"{shown}: the server reports more objects but sends neither next nor a new X-TAXII-Date-Added-Last.");
                    addedAfter = response.DateAddedLast;
                }
            }
            return new FetchResult(StixReader.ReadObjects(objects), newest, requests);
        }
        finally
        {
            foreach (var document in documents) document.Dispose();
        }
    }

    private async Task<FetchResult> FetchMispAsync(ThreatFeed feed, string? secret, CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(ClientName);
        var root = new Uri(feed.Url!.EndsWith('/') ? feed.Url : feed.Url + "/");
        var manifestBytes = await GetBytesAsync(http, feed, secret, new Uri(root, "manifest.json"), "application/json", cancellationToken);
        var manifest = Wrap(() => MispReader.ReadManifest(manifestBytes), "manifest.json");
        var since = long.TryParse(feed.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
        var result = new FeedDocument();
        var newest = since;
        var requests = 1;
        foreach (var entry in manifest.Where(e => e.Timestamp > since || since == 0).OrderBy(e => e.Timestamp))
        {
            var bytes = await GetBytesAsync(http, feed, secret, new Uri(root, $"{entry.Uuid}.json"), "application/json", cancellationToken);
            requests++;
            result.Add(Wrap(() => MispReader.ReadDocument(bytes), $"{entry.Uuid}.json"));
            newest = Math.Max(newest, entry.Timestamp);
        }
        return new FetchResult(result, newest == 0 ? feed.Cursor : newest.ToString(CultureInfo.InvariantCulture), requests);
    }

    private static T Wrap<T>(Func<T> read, string what)
    {
        try
        {
            return read();
        }
        catch (FeedFormatException ex)
        {
            throw new FeedPollException($"{what}: {ex.Message}");
        }
    }

    private sealed record JsonResponse(JsonDocument Document, string? DateAddedLast) : IDisposable
    {
        public void Dispose() => Document.Dispose();
    }

    private static async Task<JsonResponse> GetJsonAsync(HttpClient http, ThreatFeed feed, string? secret, Uri url, string accept, CancellationToken cancellationToken)
    {
        var (bytes, dateAddedLast) = await SendAsync(http, feed, secret, url, accept, cancellationToken);
        try
        {
            return new JsonResponse(JsonDocument.Parse(Common.JsonText.WithoutByteOrderMark(bytes), new JsonDocumentOptions { MaxDepth = 64 }), dateAddedLast);
        }
        catch (JsonException)
        {
            throw new FeedPollException($"The server answered {url.GetLeftPart(UriPartial.Path)} with malformed JSON.");
        }
    }

    private static async Task<byte[]> GetBytesAsync(HttpClient http, ThreatFeed feed, string? secret, Uri url, string accept, CancellationToken cancellationToken) =>
        (await SendAsync(http, feed, secret, url, accept, cancellationToken)).Bytes;

    private static async Task<(byte[] Bytes, string? DateAddedLast)> SendAsync(HttpClient http, ThreatFeed feed, string? secret, Uri url, string accept, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
        switch (feed.Auth)
        {
            case FeedAuth.Basic:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{feed.Username}:{secret}")));
                break;
            case FeedAuth.ApiKey:
                request.Headers.TryAddWithoutValidation(feed.ApiKeyHeader ?? "Authorization", secret);
                break;
        }
        var shown = url.GetLeftPart(UriPartial.Path);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new FeedPollException(response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => $"{shown}: the server refused the credentials (401 Unauthorized).",
                    HttpStatusCode.Forbidden => $"{shown}: access denied (403 Forbidden).",
                    HttpStatusCode.NotFound => $"{shown}: not found (404); check the URL and collection id.",
                    HttpStatusCode.NotAcceptable => $"{shown}: the server does not serve {accept} (406 Not Acceptable).",
                    _ => $"{shown}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.",
                });
            }
            if (response.Content.Headers.ContentLength > MaxResponseBytes) throw new FeedPollException($"{shown}: the response is larger than {MaxResponseBytes / (1024 * 1024)} MiB.");
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxResponseBytes) throw new FeedPollException($"{shown}: the response is larger than {MaxResponseBytes / (1024 * 1024)} MiB.");
                buffer.Write(chunk, 0, read);
            }
            var dateAddedLast = response.Headers.TryGetValues("X-TAXII-Date-Added-Last", out var values) ? values.FirstOrDefault() : null;
            return (buffer.ToArray(), dateAddedLast);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FeedPollException($"{shown}: no answer within {http.Timeout.TotalSeconds:0} seconds (timed out).");
        }
        catch (HttpRequestException ex)
        {
            throw new FeedPollException($"{shown}: the request failed ({ex.HttpRequestError}).");
        }
    }
}
