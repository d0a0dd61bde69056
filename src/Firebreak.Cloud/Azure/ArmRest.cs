using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Firebreak.Cloud.Azure;

/// <summary>An ARM long-running operation that ended in failure (the operation status said Failed or Canceled).</summary>
internal sealed class ArmOperationException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// ARM REST calls for the resource providers without a served SDK package (Microsoft.Network), made through the
/// Azure.Core pipeline: the same bearer-token policy, retry (Retry-After honoured) and transport as the SDK clients.
/// Errors are Azure.Core's <see cref="RequestFailedException"/> with ARM's error code.
/// </summary>
internal sealed class ArmRest(HttpPipeline pipeline, Uri baseUrl, TimeSpan operationTimeout)
{
    public const string NetworkApiVersion = "2023-09-01";

    /// <summary>GET a resource; null when ARM says it does not exist.</summary>
    public async Task<JsonObject?> FindAsync(string resourceId, string apiVersion, CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Get, resourceId, apiVersion);
        await pipeline.SendAsync(message, cancellationToken);
        if (message.Response.Status == 404) return null;
        return Body(message.Response);
    }

    public async Task<JsonObject> GetAsync(string resourceId, string apiVersion, CancellationToken cancellationToken) =>
        await FindAsync(resourceId, apiVersion, cancellationToken)
        ?? throw new RequestFailedException(404, $"{resourceId} was not found.", "ResourceNotFound", null);

    /// <summary>PUT a resource (create or replace) and wait for ARM's asynchronous operation to finish; returns the resource as it then is.</summary>
    public async Task<JsonObject> PutAsync(string resourceId, string apiVersion, JsonObject body, string? ifMatch, CancellationToken cancellationToken)
    {
        using var message = Message(RequestMethod.Put, resourceId, apiVersion);
        if (ifMatch is { Length: > 0 }) message.Request.Headers.Add("If-Match", ifMatch);
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
        await pipeline.SendAsync(message, cancellationToken);
        var result = Body(message.Response);
        if (message.Response.Headers.TryGetValue("Azure-AsyncOperation", out var operation) && operation is { Length: > 0 })
        {
            await WaitAsync(new Uri(operation), cancellationToken);
            return await GetAsync(resourceId, apiVersion, cancellationToken);
        }
        return result;
    }

    private async Task WaitAsync(Uri operation, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(operationTimeout);
        try
        {
            while (true)
            {
                using var poll = pipeline.CreateMessage();
                poll.Request.Method = RequestMethod.Get;
                poll.Request.Uri.Reset(operation);
                await pipeline.SendAsync(poll, timeout.Token);
                var status = Body(poll.Response);
                switch (status["status"]?.GetValue<string>())
                {
                    case "Succeeded":
                        return;
                    case "Failed" or "Canceled" or "Cancelled":
                        var error = status["error"];
                        throw new ArmOperationException(error?["code"]?.GetValue<string>() ?? "OperationFailed", error?["message"]?.GetValue<string>() ?? "The operation failed.");
                }
                var delay = poll.Response.Headers.TryGetValue("Retry-After", out var after) && int.TryParse(after, out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(2);
                await Task.Delay(delay, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ArmOperationException("OperationTimedOut", $"The operation had not finished after {operationTimeout.TotalSeconds:0} seconds; it may still complete.");
        }
    }

    private HttpMessage Message(RequestMethod method, string resourceId, string apiVersion)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(baseUrl);
        message.Request.Uri.AppendPath(resourceId.TrimStart('/'), escape: false);
        message.Request.Uri.AppendQuery("api-version", apiVersion);
        message.Request.Headers.Add("Accept", "application/json");
        return message;
    }

    private static JsonObject Body(Response response)
    {
        if (response.IsError) throw new RequestFailedException(response);
        return response.Content.ToMemory().Length == 0 ? [] : JsonNode.Parse(response.Content.ToString())?.AsObject() ?? [];
    }

    /// <summary>Reads a string at a path of property names, case-insensitively as ARM's JSON allows.</summary>
    public static string? Text(JsonNode? node, params string[] path)
    {
        foreach (var name in path)
        {
            if (node is not JsonObject o) return null;
            node = o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        }
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString(new JsonSerializerOptions());
    }
}
