namespace Firebreak.Core.DataLoss;

/// <summary>
/// The data-access operations the extent reads, by the name each provider logs (CloudTrail eventName,
/// GCP protoPayload.methodName, Azure operationName). Every query filters the incident's events by one
/// of these lists, on the (incident, operation, time) index. Azure's Monitor export writes operation
/// names in upper case, so Azure names are listed in both spellings.
/// </summary>
internal static class DataLossCatalogue
{
    /// <summary>Object reads: each one names an object and, on S3, logs the bytes sent.</summary>
    public static readonly string[] ObjectReads =
    [
        "GetObject", "SelectObjectContent", "CopyObject", "RestoreObject",
        "storage.objects.get",
        "GetBlob", "GetBlobProperties",
    ];

    /// <summary>Listings: they reveal names, not contents.</summary>
    public static readonly string[] ObjectLists =
    [
        "ListObjects", "ListObjectsV2", "ListObjectVersions", "ListBucket",
        "storage.objects.list",
        "ListBlobs",
    ];

    public static readonly string[] ObjectOperations = [.. ObjectReads, .. ObjectLists];

    /// <summary>Operations that give the caller the keys to a whole storage account.</summary>
    public static readonly string[] StorageKeyReads =
        [.. Azure("Microsoft.Storage/storageAccounts/listKeys/action"), .. Azure("Microsoft.Storage/storageAccounts/regenerateKey/action")];

    public static readonly string[] SecretReads =
    [
        "GetSecretValue", "BatchGetSecretValue",
        "GetParameter", "GetParameters", "GetParametersByPath",
        "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
        "SecretGet",
    ];

    public static readonly string[] Sharing =
    [
        "ModifySnapshotAttribute", "ModifyImageAttribute", "ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute",
        "v1.compute.snapshots.setIamPolicy", "v1.compute.images.setIamPolicy", "beta.compute.snapshots.setIamPolicy", "beta.compute.images.setIamPolicy",
        .. Azure("Microsoft.Compute/disks/beginGetAccess/action"),
        .. Azure("Microsoft.Compute/snapshots/beginGetAccess/action"),
        .. Azure("Microsoft.Compute/disks/endGetAccess/action"),
        .. Azure("Microsoft.Compute/snapshots/endGetAccess/action"),
        // A VM restore point's disk: a download URL for it is a disk image leaving as a disk's or snapshot's does.
        .. Azure("Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/beginGetAccess/action"),
        .. Azure("Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/endGetAccess/action"),
    ];

    public static readonly string[] Exposure =
    [
        "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl", "PutPublicAccessBlock", "DeletePublicAccessBlock",
        "PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock", "ModifyDBInstance", "ModifyDBCluster",
        "storage.setIamPermissions", "SetIamPolicy", "google.iam.v1.IAMPolicy.SetIamPolicy",
        .. Azure("Microsoft.Storage/storageAccounts/blobServices/containers/write"),
        .. Azure("Microsoft.Storage/storageAccounts/write"),
    ];

    public static readonly string[] Exports =
    [
        "StartExportTask", "ExportTableToPointInTime", "CreateInstanceExportTask",
        "cloudsql.instances.export",
        .. Azure("Microsoft.Sql/servers/databases/export/action"),
    ];

    /// <summary>Management events read one by one (few per incident), with their request inspected.</summary>
    public static readonly string[] Changes = [.. Sharing, .. Exposure, .. Exports, .. StorageKeyReads];

    /// <summary>Any of these in the incident shows that S3 data events were being logged.</summary>
    public static readonly string[] S3DataEvents =
    [
        "GetObject", "PutObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "SelectObjectContent", "RestoreObject",
        "GetObjectAcl", "GetObjectTagging", "PutObjectTagging", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
        "ListObjects", "ListObjectsV2", "ListObjectVersions",
    ];

    /// <summary>Cloud Storage Data Access audit logs (DATA_READ / DATA_WRITE).</summary>
    public static readonly string[] GcsDataEvents =
    [
        "storage.objects.get", "storage.objects.list", "storage.objects.create", "storage.objects.delete", "storage.objects.update",
    ];

    /// <summary>Azure Storage resource logs (StorageBlobLogs).</summary>
    public static readonly string[] AzureBlobEvents = ["GetBlob", "GetBlobProperties", "ListBlobs", "PutBlob", "DeleteBlob"];

    public static bool IsObjectRead(string operation) => ObjectReads.Contains(operation, StringComparer.Ordinal);

    private static string[] Azure(string operation) => [operation, operation.ToUpperInvariant()];

    /// <summary>An IN list of constants for SQL; every name above is a plain identifier with no quote in it.</summary>
    public static string SqlList(IEnumerable<string> operations) => string.Join(", ", operations.Distinct().Select(o => "'" + o.Replace("'", "''", StringComparison.Ordinal) + "'"));
}
