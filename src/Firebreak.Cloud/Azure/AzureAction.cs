using Azure;
using Azure.Identity;
using Firebreak.Core.Response;
using Microsoft.Graph.Models.ODataErrors;

namespace Firebreak.Cloud.Azure;

/// <summary>
/// Shared plumbing of the Azure actions: a session per call (a subscription for ARM actions, a directory for Graph
/// actions), provider errors turned into per-call results (execution) or <see cref="CloudCallException"/>
/// (planning, verification).
/// </summary>
internal abstract class AzureAction(AzureSessions sessions) : CloudAction, IResponseAction
{
    public const string GuidPattern = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    /// <summary>A VM's ARM resource id: subscription, resource group (letters, digits, ._-() up to 90), VM name (up to 64).</summary>
    public const string VirtualMachinePattern = "^(?i)/subscriptions/" + GuidPattern + "/resourceGroups/[-\\w._()]{1,90}/providers/Microsoft\\.Compute/virtualMachines/[A-Za-z0-9._-]{1,64}$";

    protected AzureSessions Sessions => sessions;

    public abstract ActionDefinition Definition { get; }

    /// <summary>Graph actions act in a directory; ARM actions in a subscription.</summary>
    protected abstract bool UsesGraph { get; }

    protected static ActionDefinition Subscription(ActionDefinition definition) => definition with
    {
        AccountPattern = "^" + GuidPattern + "$",
        AccountDescription = "an Azure subscription id (a GUID)",
        RegionPattern = "^[a-z][a-z0-9]{2,30}$",
        RegionDescription = "an Azure location such as westeurope",
    };

    protected static ActionDefinition Directory(ActionDefinition definition) => definition with
    {
        AccountPattern = "^" + GuidPattern + "$",
        AccountDescription = "an Entra directory (tenant) id (a GUID)",
        RegionPattern = "^global$",
        RegionDescription = "global (Microsoft Graph is not regional)",
    };

    private AzureSession Open(ActionTarget target) => UsesGraph ? sessions.OpenDirectory(target) : sessions.OpenSubscription(target);

    public Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken) => PlanAsync(Open(target), target, cancellationToken);

    public async Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken) =>
        await ExecuteAsync(Open(target), target, plan, cancellationToken);

    public Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken) =>
        VerifyAsync(Open(target), target, plan, outcome, cancellationToken);

    public Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        UndoAsync(Open(target), target, plan, undoData, cancellationToken);

    protected abstract Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken);

    protected abstract Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken);

    protected abstract Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken);

    protected virtual Task<ActionOutcome> UndoAsync(AzureSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Definition.Name} cannot be undone.");

    /// <summary>One call of a run: its result, with the provider's error code when it failed.</summary>
    protected static async Task<CallResult> CallAsync(string operation, string resource, Func<Task<string>> call)
    {
        try
        {
            return new CallResult(operation, resource, true, await call());
        }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            return new CallResult(operation, resource, false, Explain(refusal.Code, refusal.Message), refusal.Code);
        }
    }

    /// <summary>A read while planning or verifying; a refusal stops the plan with the provider's reason.</summary>
    protected static async Task<T> ReadAsync<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (Refusal(e) is { } refusal)
        {
            throw new CloudCallException(operation, refusal.Code, refusal.Message);
        }
    }

    /// <summary>The provider's code and message of a refused call; null for anything that is not the provider answering.</summary>
    protected static (string Code, string Message)? Refusal(Exception e) => e switch
    {
        RequestFailedException r => (r.ErrorCode ?? $"HTTP{r.Status}", FirstLine(r.Message)),
        ODataError o => (o.Error?.Code ?? $"HTTP{o.ResponseStatusCode}", o.Error?.Message ?? o.Message),
        ArmOperationException a => (a.Code, a.Message),
        CredentialUnavailableException c => ("CredentialUnavailable", "No credential is available for this account: " + FirstLine(c.Message)),
        AuthenticationFailedException a => ("AuthenticationFailed", "Firebreak could not get a token for this account: " + FirstLine(a.Message)),
        _ => null,
    };

    // Azure.Core's message repeats the status, the headers and the content after the first line; the first line is the provider's sentence.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static string Explain(string code, string message) => code switch
    {
        "AuthorizationFailed" or "Authorization_RequestDenied" or "LinkedAuthorizationFailed" or "Forbidden" =>
            $"Access denied: Firebreak's identity lacks this permission, so nothing was changed by this call. {message}",
        _ => $"{code}: {message}",
    };
}
