namespace Firebreak.Detection.Events;

/// <summary>The Sigma logsource of an event: product (aws, azure, gcp) and service (cloudtrail, activitylogs, signinlogs, auditlogs, gcp.audit).</summary>
public sealed record LogSource(string Product, string Service, string? Category = null);
