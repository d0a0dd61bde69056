using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Scope;

[JsonConverter(typeof(StrictEnumConverter<AccessKind>))]
public enum AccessKind
{
    [JsonStringEnumMemberName("read")] Read = 0,
    [JsonStringEnumMemberName("modified")] Modified = 1,
    [JsonStringEnumMemberName("created")] Created = 2,
    [JsonStringEnumMemberName("deleted")] Deleted = 3,
}

/// <summary>
/// What an operation did to its resource, from its verb. The verb is the last part of the operation
/// name: CloudTrail's eventName (GetObject), the last path segment of an Azure operation
/// (Microsoft.Compute/virtualMachines/write), the last dotted part of a GCP method (v1.compute.instances.insert).
/// </summary>
public static class OperationVerbs
{
    private static readonly string[] ReadVerbs =
        ["Get", "List", "Describe", "Head", "Lookup", "Search", "Select", "Scan", "Query", "BatchGet", "Read", "Download", "View", "Check", "Test", "AggregatedList", "Filter", "Retrieve", "Decrypt", "Assume"];

    private static readonly string[] CreateVerbs = ["Create", "Run", "Import", "Insert", "Allocate", "Register", "Upload", "Generate", "Issue", "Launch", "Copy"];

    private static readonly string[] DeleteVerbs = ["Delete", "Terminate", "Remove", "Destroy", "Purge", "Deregister"];

    /// <summary>
    /// Classifies one operation. A Put (PutObject, PutBucketPolicy) creates when it is the first thing
    /// the incident's events do to that resource and modifies otherwise: <paramref name="firstOnResource"/> says which.
    /// </summary>
    public static AccessKind Classify(string operation, bool firstOnResource = false)
    {
        var verb = Verb(operation);
        if (verb.Equals("write", StringComparison.OrdinalIgnoreCase)) return AccessKind.Modified; // Azure: create or update, the log does not say which
        if (verb.Equals("action", StringComparison.OrdinalIgnoreCase)) return AccessKind.Modified;
        if (Starts(verb, ReadVerbs)) return AccessKind.Read;
        if (Starts(verb, DeleteVerbs)) return AccessKind.Deleted;
        if (Starts(verb, CreateVerbs)) return AccessKind.Created;
        if (IsPut(operation)) return firstOnResource ? AccessKind.Created : AccessKind.Modified;
        return AccessKind.Modified;
    }

    /// <summary>
    /// Puts that write a whole item (an object, a table item, a parameter, a record) create it when nothing
    /// touched that resource before; other Puts (PutBucketPolicy, PutRolePolicy) change settings of something that exists.
    /// </summary>
    public static bool IsPut(string operation) => Verb(operation) is "PutObject" or "PutItem" or "PutParameter" or "PutRecord" or "PutRecords" or "PutImage";

    internal static string Verb(string operation)
    {
        var text = operation.Trim();
        var slash = text.LastIndexOf('/');
        if (slash >= 0 && slash < text.Length - 1) text = text[(slash + 1)..];
        var dot = text.LastIndexOf('.');
        if (dot >= 0 && dot < text.Length - 1) text = text[(dot + 1)..];
        return text;
    }

    // A verb matches at a word boundary: "Get" matches GetObject and get, not Getaway; lowercase GCP verbs match whole or camel-cased.
    private static bool Starts(string verb, string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (!verb.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            if (verb.Length == prefix.Length || char.IsUpper(verb[prefix.Length]) || !char.IsLetter(verb[prefix.Length])) return true;
        }
        return false;
    }
}
