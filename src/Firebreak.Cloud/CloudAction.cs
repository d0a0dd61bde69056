using Firebreak.Core.Response;

namespace Firebreak.Cloud;

/// <summary>What the AWS, Azure and GCP response actions share: how they state an outcome.</summary>
internal abstract class CloudAction
{
    /// <summary>Undo data or output as key/value pairs, keys compared by ordinal.</summary>
    protected static Dictionary<string, string> Map(params (string Key, string Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    protected static ActionOutcome Outcome(List<CallResult> calls, Dictionary<string, string>? undo = null, Dictionary<string, string>? output = null) =>
        new(calls, undo ?? [], output ?? []);
}
