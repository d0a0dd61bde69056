using System.Text.Json;

namespace Firebreak.Core.ManagementPlane;

/// <summary>Events of one kind: an operation (with its service, when the name alone is ambiguous), optionally confirmed from the raw record.</summary>
/// <param name="RawToken">A word the raw record must contain (case-insensitive) before <paramref name="Confirm"/> reads it; keeps the read to a few rows.</param>
internal sealed record CheckRule(string? EventSource, IReadOnlyList<string> Operations, string? RawToken = null, Func<JsonElement, bool>? Confirm = null);

/// <summary>Whose activity is evidence on its own, whatever the operation.</summary>
internal enum PrincipalRule
{
    None,

    /// <summary>AWS root (userIdentity.type Root), and any configured break-glass account.</summary>
    RootOrBreakGlass,

    /// <summary>Configured break-glass accounts only.</summary>
    BreakGlass,
}

/// <param name="Logs">The log sources the item needs in the window; missing ones make it unknown.</param>
internal sealed record CheckItem(string Id, string Provider, CheckArea Area, string Question, IReadOnlyList<string> Logs, IReadOnlyList<CheckRule> Rules,
    PrincipalRule Principals = PrincipalRule.None);

/// <summary>
/// What each item looks for, per provider. Names are CloudTrail eventName/eventSource, Azure Activity Log
/// operationName, Entra ID audit activityDisplayName and GCP protoPayload.methodName, as the providers log them.
/// </summary>
internal static class CheckCatalogue
{
    public const string CloudTrail = "cloudtrail";
    public const string ActivityLogs = "activitylogs";
    public const string SignInLogs = "signinlogs";
    public const string AuditLogs = "auditlogs";
    public const string GcpAudit = "gcp.audit";

    public static readonly IReadOnlyList<string> Providers = ["aws", "azure", "gcp"];

    public static readonly IReadOnlyList<CheckItem> Items =
    [
        // AWS
        new("aws.logging", "aws", CheckArea.Logging, "Is AWS logging intact?", [CloudTrail],
        [
            new("cloudtrail.amazonaws.com", ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"]),
            new("ec2.amazonaws.com", ["DeleteFlowLogs"]),
            new("route53resolver.amazonaws.com", ["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"]),
            new("config.amazonaws.com", ["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"]),
        ]),
        new("aws.detection", "aws", CheckArea.Detection, "Is AWS threat detection intact (GuardDuty, Security Hub)?", [CloudTrail],
        [
            new("guardduty.amazonaws.com", ["DeleteDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount", "DeleteMembers",
                "DisassociateMembers", "StopMonitoringMembers"]),
            new("guardduty.amazonaws.com", ["UpdateDetector"], "enable", raw => RawJson.Has(raw, "enable", v => v.ValueKind == JsonValueKind.False)),
            new("guardduty.amazonaws.com", ["CreateFilter", "UpdateFilter"], "archive", raw => RawJson.Has(raw, "action", v => RawJson.Is(v, "ARCHIVE"))),
            new("securityhub.amazonaws.com", ["DisableSecurityHub", "DisableImportFindingsForProduct"]),
            new("securityhub.amazonaws.com", ["BatchUpdateFindings"], "suppressed", raw => RawJson.Has(raw, "status", v => RawJson.Is(v, "SUPPRESSED"))),
        ]),
        new("aws.privileged-use", "aws", CheckArea.PrivilegedUse, "Was the AWS root user or a break-glass account used?", [CloudTrail], [],
            PrincipalRule.RootOrBreakGlass),
        new("aws.new-credentials", "aws", CheckArea.NewCredentials, "Were AWS users, access keys, login profiles or federation tokens created?", [CloudTrail],
        [
            new("iam.amazonaws.com", ["CreateUser", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile"]),
            new("sts.amazonaws.com", ["GetFederationToken"]),
        ]),
        new("aws.trust", "aws", CheckArea.Trust, "Were AWS role trust policies or identity providers changed?", [CloudTrail],
        [
            new("iam.amazonaws.com", ["UpdateAssumeRolePolicy", "CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider",
                "CreateOpenIDConnectProvider", "DeleteOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
                "AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider"]),
        ]),
        new("aws.boundary", "aws", CheckArea.Boundary, "Did the AWS account or organisation boundary change?", [CloudTrail],
        [
            new("organizations.amazonaws.com", ["LeaveOrganization", "CreateAccount", "InviteAccountToOrganization", "RemoveAccountFromOrganization",
                "AcceptHandshake", "DetachPolicy", "DisablePolicyType", "DeleteOrganization"]),
        ]),

        // Azure
        new("azure.logging", "azure", CheckArea.Logging, "Is Azure logging intact?", [ActivityLogs],
        [
            Azure("Microsoft.Insights/diagnosticSettings/delete", "Microsoft.Insights/diagnosticSettings/write",
                "Microsoft.Aadiam/diagnosticSettings/delete", "Microsoft.Aadiam/diagnosticSettings/write",
                "Microsoft.Network/networkWatchers/flowLogs/delete",
                "Microsoft.Insights/logProfiles/delete", "Microsoft.Insights/logProfiles/write"),
        ]),
        new("azure.detection", "azure", CheckArea.Detection, "Is Microsoft Defender for Cloud intact?", [ActivityLogs],
        [
            Azure("Microsoft.Security/alertsSuppressionRules/write", "Microsoft.Security/securityContacts/write", "Microsoft.Security/securityContacts/delete"),
            Azure("Microsoft.Security/pricings/write") with { RawToken = "free", Confirm = raw => RawJson.Has(raw, "pricingTier", v => RawJson.Is(v, "Free")) },
        ]),
        new("azure.privileged-use", "azure", CheckArea.PrivilegedUse, "Was global-admin elevation or a break-glass account used in Azure?", [ActivityLogs, SignInLogs],
        [
            // A Global Administrator making themselves User Access Administrator over every subscription: Azure's nearest thing to root.
            Azure("Microsoft.Authorization/elevateAccess/action"),
        ], PrincipalRule.BreakGlass),
        new("azure.new-credentials", "azure", CheckArea.NewCredentials, "Were Entra ID users or application credentials added?", [AuditLogs],
        [
            new(null, ["Add user", "Add service principal credentials", "Update application – Certificates and secrets management",
                "Update application – Certificates and secrets management "]),
        ]),
        new("azure.trust", "azure", CheckArea.Trust, "Was Entra ID domain federation or authentication changed?", [AuditLogs],
        [
            new(null, ["Set federation settings on domain", "Set domain authentication", "Update domain"]),
        ]),
        new("azure.boundary", "azure", CheckArea.Boundary, "Did Azure management groups or subscriptions move?", [ActivityLogs],
        [
            Azure("Microsoft.Management/managementGroups/subscriptions/write", "Microsoft.Management/managementGroups/subscriptions/delete",
                "Microsoft.Management/managementGroups/write", "Microsoft.Management/managementGroups/delete",
                "Microsoft.Subscription/aliases/write", "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/changeTenantRequest/action"),
        ]),

        // GCP
        new("gcp.logging", "gcp", CheckArea.Logging, "Is GCP logging intact?", [GcpAudit],
        [
            new(null, ["google.logging.v2.ConfigServiceV2.DeleteSink", "google.logging.v2.ConfigServiceV2.UpdateSink",
                "google.logging.v2.ConfigServiceV2.CreateExclusion", "google.logging.v2.ConfigServiceV2.UpdateExclusion",
                "google.logging.v2.ConfigServiceV2.DeleteExclusion"]),
            new(null, ["SetIamPolicy", "google.iam.v1.IAMPolicy.SetIamPolicy"], "auditConfigDeltas",
                raw => RawJson.Has(raw, "auditConfigDeltas", v => v.ValueKind == JsonValueKind.Array
                    && v.EnumerateArray().Any(d => RawJson.Has(d, "action", a => RawJson.Is(a, "REMOVE"))))),
            new(null, ["v1.compute.subnetworks.patch", "beta.compute.subnetworks.patch"], null,
                raw => RawJson.Has(raw, "enableFlowLogs", v => v.ValueKind == JsonValueKind.False)
                    || RawJson.Has(raw, "logConfig", v => RawJson.Has(v, "enable", e => e.ValueKind == JsonValueKind.False))),
        ]),
        new("gcp.detection", "gcp", CheckArea.Detection, "Is Security Command Center intact?", [GcpAudit],
        [
            new(null, ["google.cloud.securitycenter.v1.SecurityCenter.CreateMuteConfig", "google.cloud.securitycenter.v1.SecurityCenter.UpdateMuteConfig",
                "google.cloud.securitycenter.v1.SecurityCenter.SetMute", "google.cloud.securitycenter.v1.SecurityCenter.BulkMute",
                "google.cloud.securitycenter.v1.SecurityCenter.SetFindingState",
                "google.cloud.securitycenter.v2.SecurityCenter.CreateMuteConfig", "google.cloud.securitycenter.v2.SecurityCenter.UpdateMuteConfig",
                "google.cloud.securitycenter.v2.SecurityCenter.SetMute", "google.cloud.securitycenter.v2.SecurityCenter.BulkMute",
                "google.cloud.securitycenter.v2.SecurityCenter.SetFindingState"]),
        ]),
        new("gcp.privileged-use", "gcp", CheckArea.PrivilegedUse, "Was a GCP break-glass account used?", [GcpAudit], [], PrincipalRule.BreakGlass),
        new("gcp.new-credentials", "gcp", CheckArea.NewCredentials, "Were GCP service accounts or keys created?", [GcpAudit],
        [
            new(null, ["google.iam.admin.v1.CreateServiceAccount", "google.iam.admin.v1.CreateServiceAccountKey", "google.iam.admin.v1.UploadServiceAccountKey"]),
        ]),
        new("gcp.trust", "gcp", CheckArea.Trust, "Were GCP workload identity pools or providers changed?", [GcpAudit],
        [
            new(null, ["google.iam.v1.WorkloadIdentityPools.CreateWorkloadIdentityPool", "google.iam.v1.WorkloadIdentityPools.UpdateWorkloadIdentityPool",
                "google.iam.v1.WorkloadIdentityPools.DeleteWorkloadIdentityPool", "google.iam.v1.WorkloadIdentityPools.UndeleteWorkloadIdentityPool",
                "google.iam.v1.WorkloadIdentityPools.CreateWorkloadIdentityPoolProvider", "google.iam.v1.WorkloadIdentityPools.UpdateWorkloadIdentityPoolProvider",
                "google.iam.v1.WorkloadIdentityPools.DeleteWorkloadIdentityPoolProvider"]),
        ]),
        new("gcp.boundary", "gcp", CheckArea.Boundary, "Did GCP projects move or organisation policies change?", [GcpAudit],
        [
            new(null, ["MoveProject", "google.cloud.resourcemanager.v3.Projects.MoveProject",
                "SetOrgPolicy", "ClearOrgPolicy",
                "google.cloud.orgpolicy.v2.OrgPolicy.CreatePolicy", "google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy",
                "google.cloud.orgpolicy.v2.OrgPolicy.DeletePolicy"]),
        ]),
    ];

    /// <summary>Azure Activity Log exports spell operation names in mixed or upper case; each name is matched in the usual three spellings.</summary>
    private static CheckRule Azure(params string[] operations) =>
        new(null, operations.SelectMany(o => new[] { o, o.ToUpperInvariant(), o.ToLowerInvariant() }).Distinct(StringComparer.Ordinal).ToList());

    /// <summary>The name of a log as a responder would ask for it.</summary>
    public static string LogName(string provider, string logSource, string? account) => (provider, logSource) switch
    {
        ("aws", CloudTrail) => "AWS CloudTrail management events" + (account is null ? "" : $" for account {account}"),
        ("azure", ActivityLogs) => "Azure Activity Log" + (account is null ? "" : $" for subscription {account}"),
        ("azure", SignInLogs) => "Entra ID sign-in logs" + (account is null ? "" : $" for tenant {account}"),
        ("azure", AuditLogs) => "Entra ID audit logs" + (account is null ? "" : $" for tenant {account}"),
        ("gcp", GcpAudit) => "GCP Cloud Audit Logs (Admin Activity)" + (account is null ? "" : $" for project {account}"),
        _ => $"{provider} {logSource}" + (account is null ? "" : $" for {account}"),
    };

    /// <summary>The service of a log named by <see cref="LogName"/>.</summary>
    public static string? ServiceOf(string logName) =>
        logName.StartsWith("AWS CloudTrail", StringComparison.Ordinal) ? "CloudTrail"
        : logName.StartsWith("Azure Activity Log", StringComparison.Ordinal) ? "Activity Log"
        : logName.StartsWith("Entra ID", StringComparison.Ordinal) ? "Entra ID"
        : logName.StartsWith("GCP Cloud Audit Logs", StringComparison.Ordinal) ? "Cloud Audit Logs"
        : null;

    /// <summary>The log sources whose accounts belong together: Entra ID logs name the directory, the Activity Log a subscription.</summary>
    public static IReadOnlyList<string> Family(string provider, string logSource) => (provider, logSource) switch
    {
        ("azure", SignInLogs or AuditLogs) => [SignInLogs, AuditLogs],
        ("azure", _) => [ActivityLogs],
        ("aws", _) => [CloudTrail],
        _ => [logSource],
    };
}

/// <summary>Reads a raw record for the few rules that depend on a request value.</summary>
internal static class RawJson
{
    private const int MaxDepth = 12;

    /// <summary>True when any property of that name (case-insensitive), at any depth, has a value the test accepts.</summary>
    public static bool Has(JsonElement element, string name, Func<JsonElement, bool> test) => Has(element, name, test, 0);

    public static bool Is(JsonElement value, string text) =>
        value.ValueKind == JsonValueKind.String && string.Equals(value.GetString(), text, StringComparison.OrdinalIgnoreCase);

    private static bool Has(JsonElement element, string name, Func<JsonElement, bool> test, int depth)
    {
        if (depth > MaxDepth) return false;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && test(property.Value)) return true;
                    if (Has(property.Value, name, test, depth + 1)) return true;
                }
                return false;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Has(item, name, test, depth + 1)) return true;
                }
                return false;
            default:
                return false;
        }
    }
}
