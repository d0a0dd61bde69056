using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Text;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Just enough of S3's REST API on loopback (path-style ListObjectsV2 with continuation tokens, and
/// GetObject) for the real AWS SDK client to talk to it.
/// </summary>
internal sealed class FakeS3Server : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _bucket;
    private readonly SortedDictionary<string, byte[]> _objects;
    private readonly int _pageSize;
    private readonly Task _loop;

    private FakeS3Server(string bucket, IDictionary<string, byte[]> objects, int pageSize)
    {
        _bucket = bucket;
        _objects = new SortedDictionary<string, byte[]>(objects, StringComparer.Ordinal);
        _pageSize = pageSize;
        var port = FreePort();
        ServiceUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(ServiceUrl + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string ServiceUrl { get; }

    public List<string> Requests { get; } = [];

    /// <summary>How long the server waits before answering a GetObject of these keys.</summary>
    public Dictionary<string, TimeSpan> Delays { get; } = [];

    /// <summary>For these keys, how many bytes of the body the server sends before it goes quiet, and for how long.</summary>
    public Dictionary<string, (int After, TimeSpan For)> Stalls { get; } = [];

    public static FakeS3Server Start(string bucket, IDictionary<string, byte[]> objects, int pageSize = 1000) => new(bucket, objects, pageSize);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            // Each request on its own, so that one held back (Delays) does not hold the others.
            _ = Task.Run(async () =>
            {
                try
                {
                    await HandleAsync(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
                {
                    // The client gave up on it.
                }
                finally
                {
                    try
                    {
                        context.Response.Close();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                    }
                }
            });
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath).TrimStart('/');
        lock (Requests)
        {
            Requests.Add($"{request.HttpMethod} {request.Url.PathAndQuery}");
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? path : path[..slash];
        var key = slash < 0 ? "" : path[(slash + 1)..];
        if (bucket != _bucket)
        {
            await WriteXmlAsync(context.Response, 404, $"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>{SecurityElement.Escape(bucket)}</BucketName></Error>");
            return;
        }

        if (key.Length == 0 && request.QueryString["list-type"] == "2")
        {
            await WriteXmlAsync(context.Response, 200, List(request.QueryString["prefix"] ?? "", request.QueryString["continuation-token"]));
            return;
        }

        if (!_objects.TryGetValue(key, out var body))
        {
            await WriteXmlAsync(context.Response, 404, $"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>{SecurityElement.Escape(key)}</Key></Error>");
            return;
        }

        if (Delays.TryGetValue(key, out var delay))
        {
            await Task.Delay(delay);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength64 = body.Length;
        context.Response.AddHeader("ETag", "\"" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(body)) + "\"");
        context.Response.AddHeader("Last-Modified", DateTimeOffset.UnixEpoch.ToString("r", CultureInfo.InvariantCulture));
        if (Stalls.TryGetValue(key, out var stall))
        {
            await context.Response.OutputStream.WriteAsync(body.AsMemory(0, stall.After));
            await context.Response.OutputStream.FlushAsync();
            await Task.Delay(stall.For);
            await context.Response.OutputStream.WriteAsync(body.AsMemory(stall.After));
            return;
        }

        await context.Response.OutputStream.WriteAsync(body);
    }

    private string List(string prefix, string? token)
    {
        var matching = _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var start = token is null ? 0 : int.Parse(token, CultureInfo.InvariantCulture);
        var page = matching.Skip(start).Take(_pageSize).ToList();
        var truncated = start + page.Count < matching.Count;
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        xml.Append(CultureInfo.InvariantCulture, $"<Name>{_bucket}</Name><Prefix>{SecurityElement.Escape(prefix)}</Prefix><KeyCount>{page.Count}</KeyCount><MaxKeys>{_pageSize}</MaxKeys><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>");
        if (token is not null)
        {
            xml.Append(CultureInfo.InvariantCulture, $"<ContinuationToken>{token}</ContinuationToken>");
        }

        if (truncated)
        {
            xml.Append(CultureInfo.InvariantCulture, $"<NextContinuationToken>{start + page.Count}</NextContinuationToken>");
        }

        foreach (var (key, body) in page)
        {
            xml.Append(CultureInfo.InvariantCulture, $"<Contents><Key>{SecurityElement.Escape(key)}</Key><LastModified>2026-03-02T08:20:00.000Z</LastModified><ETag>&quot;0&quot;</ETag><Size>{body.Length}</Size><StorageClass>STANDARD</StorageClass></Contents>");
        }

        return xml.Append("</ListBucketResult>").ToString();
    }

    private static async Task WriteXmlAsync(HttpListenerResponse response, int status, string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
