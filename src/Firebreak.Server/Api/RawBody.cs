using Microsoft.AspNetCore.Http.Features;

namespace Firebreak.Server.Api;

/// <summary>Checks shared by the endpoints that take a file as the raw request body.</summary>
internal static class RawBody
{
    /// <summary>Refuses anything but application/octet-stream with 415, saying what to send.</summary>
    public static void RequireOctetStream(HttpContext context, string what)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim();
        if (mediaType != "application/octet-stream")
            throw new BadHttpRequestException($"Send {what} as application/octet-stream.", StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>
    /// Raises the server's body limit to this endpoint's own (its service's setting) and refuses a
    /// declared length over it with 413 before reading; an undeclared length is cut off at the limit.
    /// </summary>
    public static void Limit(HttpContext context, long limit, string overMessage)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
            throw new BadHttpRequestException(overMessage, StatusCodes.Status413PayloadTooLarge);
    }
}
