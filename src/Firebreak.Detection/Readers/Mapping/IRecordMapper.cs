using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

internal interface IRecordMapper
{
    LogFormat Format { get; }

    /// <summary>Whether the record has this format's shape; cheap, since it runs on records of every format.</summary>
    bool Matches(JsonElement record);

    /// <summary>
    /// Maps the record. Returns null with a <paramref name="problem"/> when the record cannot be
    /// used; a non-null event with a problem means the event was kept despite it.
    /// </summary>
    CloudEvent? Map(JsonElement record, EventOrigin? origin, out string? problem);
}

internal static class RecordMappers
{
    // Order matters: the more specific shapes are tried first.
    private static readonly IRecordMapper[] All =
    [
        new GcpAuditMapper(),
        new OcsfMapper(),
        new CloudTrailMapper(LogFormat.CloudTrail),
        new EntraSignInMapper(),
        new EntraAuditMapper(),
        new AzureActivityMapper(),
    ];

    private static readonly CloudTrailMapper Lake = new(LogFormat.CloudTrailLake);

    public static IRecordMapper? Detect(JsonElement record)
    {
        foreach (var mapper in All)
        {
            if (mapper.Matches(record))
            {
                return mapper;
            }
        }

        return null;
    }

    /// <summary>
    /// Texts (ASCII, ignoring case) that every record the format's mapper recognises contains, as a property name or
    /// a value its <c>Matches</c> requires; for <see cref="LogFormat.Auto"/>, those of every format. A record with none
    /// of them cannot be of the format, which lets the hunt's pre-filter pass it on to be reported instead of skipping
    /// it unread. Kept beside the mappers: a mapper that comes to recognise a record without its marker must add one.
    /// </summary>
    public static IReadOnlyList<string> Markers(LogFormat format) => format switch
    {
        LogFormat.CloudTrail or LogFormat.CloudTrailLake => ["eventName"],
        LogFormat.SecurityLakeOcsf => ["class_uid"],
        LogFormat.GcpAudit => ["protoPayload"],
        // OperationNameValue (Log Analytics) contains operationName.
        LogFormat.AzureActivity => ["operationName", "AzureActivity"],
        // Every sign-in category and table name ends in SignInLogs, spelt Signin in one.
        LogFormat.EntraSignIn => ["SignInLogs", "createdDateTime"],
        LogFormat.EntraAudit => ["AuditLogs", "activityDateTime", "LoggedByService"],
        _ => [.. Enum.GetValues<LogFormat>().Where(f => f != LogFormat.Auto).SelectMany(Markers).Distinct(StringComparer.OrdinalIgnoreCase)],
    };

    /// <summary>Why a record read under a forced format is not read: it has the shape of another.</summary>
    public static string OfAnotherFormat(LogFormat forced, LogFormat shape) => $"not {RecordName(forced)} (the format given) but {RecordName(shape)}";

    private static string RecordName(LogFormat format) => format switch
    {
        LogFormat.CloudTrail => "a CloudTrail record",
        LogFormat.CloudTrailLake => "a CloudTrail Lake row",
        LogFormat.SecurityLakeOcsf => "an OCSF record",
        LogFormat.AzureActivity => "an Azure Activity record",
        LogFormat.EntraSignIn => "an Entra ID sign-in record",
        LogFormat.EntraAudit => "an Entra ID audit record",
        LogFormat.GcpAudit => "a GCP audit entry",
        _ => format.ToString(),
    };

    public static IRecordMapper For(LogFormat format) => format == LogFormat.CloudTrailLake
        ? Lake
        : All.FirstOrDefault(m => m.Format == format) ?? throw new ArgumentOutOfRangeException(nameof(format), format, "no mapper for this format");
}

internal static class LogSources
{
    public static readonly LogSource CloudTrail = new("aws", "cloudtrail");
    public static readonly LogSource AzureActivity = new("azure", "activitylogs");
    public static readonly LogSource EntraSignIn = new("azure", "signinlogs");
    public static readonly LogSource EntraAudit = new("azure", "auditlogs");
    public static readonly LogSource GcpAudit = new("gcp", "gcp.audit");
}
