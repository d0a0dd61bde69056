using System.Buffers;
using Firebreak.Core.Common;

namespace Firebreak.Server.Hosting;

/// <summary>
/// Text holding the NUL character (U+0000) is refused where it enters the API: PostgreSQL cannot store it in a
/// text column, so it would fail the request with a database error (a 500) after every check had passed, and
/// SQLite would store it, so the two databases would disagree. A query parameter holding it (on any path, pages
/// too) is a 400 naming the parameter; a JSON body with a <c>\u0000</c> escape in any string is a 400 naming the body, before the endpoint
/// reads it. The alert intake checks every alert's text itself, field by field and in every format (CEF too).
/// </summary>
public static class NulText
{
    /// <summary>
    /// Endpoint metadata: the endpoint checks its own text for NUL, with better errors (the alert intake names the
    /// alert and field), so its body is not read twice. The intake takes the largest and most frequent bodies.
    /// </summary>
    public sealed class CheckedByEndpoint
    {
        public static readonly CheckedByEndpoint Instance = new();
    }

    public static IApplicationBuilder UseNulTextRefusal(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var errors = new Dictionary<string, string[]>();
        foreach (var (name, values) in request.Query)
        {
            if (StorableText.HoldsNul(name) || values.Any(StorableText.HoldsNul)) errors[name.Replace("\0", "", StringComparison.Ordinal)] = [$"{StorableText.NulMessage}."];
        }

        try
        {
            if (errors.Count == 0 && request.Path.StartsWithSegments("/api") && IsJson(request.ContentType) && request.ContentLength is not 0
                && context.GetEndpoint()?.Metadata.GetMetadata<CheckedByEndpoint>() is null
                && await HasNulEscapeAsync(request, context.RequestAborted))
            {
                errors["body"] = [$"A string in the JSON body: {StorableText.NulMessage}, written \\u0000."];
            }
        }
        catch (BadHttpRequestException e)
        {
            // Past the body limit, or cut off: what the endpoint would have answered.
            context.Response.StatusCode = e.StatusCode;
            return;
        }

        if (errors.Count > 0)
        {
            if (IsPageForABrowser(request))
            {
                await WritePageAsync(context, errors.Keys);
                return;
            }

            await Results.ValidationProblem(errors).ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    private static bool IsPageForABrowser(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/health")
        && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    /// <summary>An address typed or pasted into the browser gets a page that says what is wrong with it, not JSON.</summary>
    private static Task WritePageAsync(HttpContext context, IEnumerable<string> parameters)
    {
        var html = System.Text.Encodings.Web.HtmlEncoder.Default;
        var names = string.Join(", ", parameters.Select(p => $"<code>{html.Encode(p)}</code>"));
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8" /><title>Address not accepted - Firebreak</title>
            <style>body { font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; line-height: 1.5; } code { background: #eee; padding: 0 .2em; }</style></head>
            <body>
            <main data-testid="bad-address">
            <h1>This address cannot be opened</h1>
            <p>In the address, {{names}} holds the NUL character (U+0000, written <code>%00</code>), which Firebreak cannot store or search for.</p>
            <p>Remove <code>%00</code> from the address and open it again, or go to the <a href="/">start page</a>.</p>
            </main>
            </body>
            </html>
            """);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the body once (buffered, so the endpoint reads it again from the start) looking for a \u0000 escape.</summary>
    private static async Task<bool> HasNulEscapeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // In memory up to 16 MiB (an alert batch, a playbook), so the common case costs no disk I/O; a larger
        // upload (a STIX bundle) spills to a temporary file, as ASP.NET buffering does.
        request.EnableBuffering(bufferThreshold: 16 * 1024 * 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var scan = new EscapeScan();
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(), cancellationToken)) > 0)
            {
                if (scan.FindsNul(buffer.AsSpan(0, read))) return true;
            }

            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            request.Body.Position = 0;
        }
    }

    /// <summary>
    /// Finds <c>\u0000</c> where the backslash starts an escape (not <c>\\u0000</c>, an escaped backslash and
    /// text), across reads. In valid JSON a backslash occurs only inside strings, so every unescaped one starts an escape.
    /// </summary>
    internal struct EscapeScan
    {
        // 0: plain text; 1: after a backslash that starts an escape; 2-5: after \u, \u0, \u00, \u000.
        private int _state;

        public bool FindsNul(ReadOnlySpan<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                if (_state == 0)
                {
                    // Plain text up to the next backslash: skipped with a vectorised search, so a large alert batch costs little.
                    var next = bytes[i..].IndexOf((byte)'\\');
                    if (next < 0)
                    {
                        return false;
                    }

                    i += next;
                }

                var b = bytes[i];
                _state = (_state, b) switch
                {
                    (1, (byte)'u') => 2,
                    (>= 2 and <= 4, (byte)'0') => _state + 1,
                    (5, (byte)'0') => 6,
                    (0 or >= 2, (byte)'\\') => 1,
                    _ => 0,
                };
                if (_state == 6) return true;
            }

            return false;
        }
    }
}
