using System.Text.Json;

namespace Firebreak.Detection.Events;

/// <summary>
/// One cloud audit-log record, normalised. Aligned with OCSF API Activity (class 6003) and
/// Authentication (class 3002): field names follow OCSF where it has one. The native record is kept
/// in <see cref="Raw"/> so Sigma rules can match the provider's own field names.
/// </summary>
public sealed record CloudEvent
{
    /// <summary>When the provider says the activity happened (CloudTrail eventTime, Azure time, GCP timestamp).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The provider's unique id of the record (CloudTrail eventID, Azure correlation/operation id, GCP insertId).</summary>
    public string? EventId { get; init; }

    public required LogSource LogSource { get; init; }

    /// <summary>aws, azure or gcp.</summary>
    public required string Provider { get; init; }

    /// <summary>AWS account id, Azure subscription (or tenant for Entra ID), GCP project id.</summary>
    public string? Account { get; init; }

    public string? Region { get; init; }

    public required EventActor Actor { get; init; }

    public string? SourceIp { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>The service called: iam.amazonaws.com, Microsoft.Compute, compute.googleapis.com.</summary>
    public string? Service { get; init; }

    /// <summary>The API operation: CreateAccessKey, Microsoft.Compute/virtualMachines/write, v1.compute.instances.insert.</summary>
    public required string Operation { get; init; }

    public IReadOnlyList<EventResource> Resources { get; init; } = [];

    public EventOutcome Outcome { get; init; } = EventOutcome.Unknown;

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public JsonElement? RequestParameters { get; init; }

    public JsonElement? ResponseParameters { get; init; }

    /// <summary>The native record, verbatim.</summary>
    public required JsonElement Raw { get; init; }

    /// <summary>Where the record was read; null for events not read from a log.</summary>
    public EventOrigin? Origin { get; init; }
}

public enum EventOutcome
{
    Unknown,
    Success,
    Failure,
}

public sealed record EventActor
{
    /// <summary>Root, IAMUser, AssumedRole, FederatedUser, AWSService, User, ServicePrincipal, ServiceAccount...</summary>
    public string? Type { get; init; }

    /// <summary>Principal id, ARN, UPN or service-account e-mail: the most specific identity the record gives.</summary>
    public string? Uid { get; init; }

    public string? Arn { get; init; }

    public string? Name { get; init; }

    public string? AccessKeyId { get; init; }

    /// <summary>For assumed roles and federated sessions: the identity that issued the session.</summary>
    public string? SessionIssuer { get; init; }

    /// <summary>
    /// The client application the actor's token was issued to (OCSF <c>actor.app_uid</c>): an Entra app id, the id a responder
    /// looks an app registration up by, where the actor's own id is its service principal's object id.
    /// </summary>
    public string? AppUid { get; init; }

    /// <summary>The assumed-role chain, outermost first, where the record shows it (for example GCP delegation info).</summary>
    public IReadOnlyList<string> AssumedRoleChain { get; init; } = [];

    /// <summary>Null when the record does not say.</summary>
    public bool? MfaUsed { get; init; }
}

public sealed record EventResource(string? Type, string Uid, string? Name = null);
