using System.Text.Json;

namespace Firebreak.Core.DataLoss;

/// <summary>A sharing, exposure or export event as the extent reads it.</summary>
internal sealed record ChangeEvent(DateTimeOffset Time, string Operation, string Provider, string? Region, string? Account, string? Resource,
    string? Principal, string? AccessKeyId, string? SourceIp, string Raw);

/// <summary>
/// What one change did to one resource: opened a way to the data (<see cref="Opens"/> true), closed it
/// (false), or only exported it (null). <see cref="Mechanism"/> tells the ways apart, so deleting a bucket
/// policy does not close an exposure that a public ACL still holds.
/// </summary>
internal sealed record ChangeFinding(string Resource, DataLossCategory Category, string Mechanism, bool? Opens, string Finding);

/// <summary>Reads the request of each sharing, exposure and export event: which resource, and whether it opened or closed access.</summary>
internal static class ChangeAnalysis
{
    public static IEnumerable<ChangeFinding> Analyse(ChangeEvent e)
    {
        if (Parse(e.Raw) is not { } root) yield break;
        var operation = e.Provider == "azure" ? e.Operation.ToLowerInvariant() : e.Operation;
        var findings = e.Provider switch
        {
            "aws" => Aws(e, operation, root.TryGetProperty("requestParameters", out var rp) && rp.ValueKind == JsonValueKind.Object ? rp : default),
            "gcp" => Gcp(e, operation, root.TryGetProperty("protoPayload", out var pp) ? pp : default),
            "azure" => Azure(e, operation, root),
            _ => [],
        };
        foreach (var finding in findings) yield return finding;
    }

    private static JsonElement? Parse(string raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<ChangeFinding> Aws(ChangeEvent e, string operation, JsonElement rp)
    {
        var region = e.Region ?? "";
        var account = e.Account ?? "";
        switch (operation)
        {
            case "ModifySnapshotAttribute" when Str(rp, "snapshotId") is { } snapshot:
                foreach (var f in Permissions(rp, "createVolumePermission", $"arn:aws:ec2:{region}:{account}:snapshot/{snapshot}", "snapshot")) yield return f;
                break;
            case "ModifyImageAttribute" when Str(rp, "imageId") is { } image:
                foreach (var f in Permissions(rp, "launchPermission", $"arn:aws:ec2:{region}::image/{image}", "image")) yield return f;
                break;
            case "ModifyDBSnapshotAttribute" or "ModifyDBClusterSnapshotAttribute":
            {
                var cluster = operation == "ModifyDBClusterSnapshotAttribute";
                var id = Str(rp, cluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier");
                if (id is null || !string.Equals(Str(rp, "attributeName"), "restore", StringComparison.OrdinalIgnoreCase)) break;
                var resource = id.StartsWith("arn:", StringComparison.Ordinal) ? id : $"arn:aws:rds:{region}:{account}:{(cluster ? "cluster-snapshot" : "snapshot")}:{id}";
                foreach (var value in Strings(rp, "valuesToAdd"))
                    yield return new(resource, DataLossCategory.SnapshotShare, "share:" + value, true,
                        value == "all" ? "Database snapshot made public (restore: all)" : $"Database snapshot shared with account {value} (restore)");
                foreach (var value in Strings(rp, "valuesToRemove"))
                    yield return new(resource, DataLossCategory.SnapshotShare, "share:" + value, false, $"Database snapshot share with {value} removed");
                break;
            }
            case "ModifyDBInstance" or "ModifyDBCluster" when Bool(rp, "publiclyAccessible") is { } open:
            {
                var cluster = operation == "ModifyDBCluster";
                var id = Str(rp, cluster ? "dBClusterIdentifier" : "dBInstanceIdentifier") ?? "";
                var resource = id.StartsWith("arn:", StringComparison.Ordinal) ? id : $"arn:aws:rds:{region}:{account}:{(cluster ? "cluster" : "db")}:{id}";
                yield return new(resource, DataLossCategory.PublicExposure, "db-public", open, open ? "Database made publicly accessible" : "Database no longer publicly accessible");
                break;
            }
            case "PutBucketPolicy" when Bucket(e, rp) is { } bucket:
            {
                var isPublic = PublicPolicy(rp);
                yield return new(bucket, DataLossCategory.PublicExposure, "policy", isPublic,
                    isPublic ? "Bucket policy grants access to everyone (Principal *)" : "Bucket policy replaced with one that grants no public access");
                break;
            }
            case "DeleteBucketPolicy" when Bucket(e, rp) is { } bucket:
                yield return new(bucket, DataLossCategory.PublicExposure, "policy", false, "Bucket policy deleted");
                break;
            case "PutBucketAcl" or "PutObjectAcl" when Bucket(e, rp) is { } bucket:
            {
                var isPublic = PublicAcl(rp);
                var objectAcl = operation == "PutObjectAcl";
                var key = objectAcl ? Str(rp, "key") ?? "" : "";
                yield return new(bucket, DataLossCategory.PublicExposure, objectAcl ? "object-acl:" + key : "acl", isPublic,
                    (objectAcl ? $"Object ACL on {key}" : "Bucket ACL") + (isPublic ? " grants AllUsers or AuthenticatedUsers access" : " no longer public"));
                break;
            }
            case "PutPublicAccessBlock" when Bucket(e, rp) is { } bucket:
            {
                var weakened = Weakened(rp);
                yield return new(bucket, DataLossCategory.PublicExposure, "guard", weakened,
                    weakened ? "Public access block weakened (a setting turned off)" : "Public access block fully on");
                break;
            }
            case "DeletePublicAccessBlock" when Bucket(e, rp) is { } bucket:
                yield return new(bucket, DataLossCategory.PublicExposure, "guard", true, "Public access block removed");
                break;
            case "PutAccountPublicAccessBlock" or "DeleteAccountPublicAccessBlock":
            {
                var weakened = operation == "DeleteAccountPublicAccessBlock" || Weakened(rp);
                yield return new($"arn:aws:s3:{region}:{account}:account-public-access-block", DataLossCategory.PublicExposure, "guard", weakened,
                    weakened ? "Account-wide S3 public access block weakened or removed" : "Account-wide S3 public access block fully on");
                break;
            }
            case "StartExportTask" when Str(rp, "sourceArn") is { } source:
                yield return new(source, DataLossCategory.DatabaseExport, "export", null, $"Exported to s3://{Str(rp, "s3BucketName")}/{Str(rp, "s3Prefix")}".TrimEnd('/'));
                break;
            case "ExportTableToPointInTime" when Str(rp, "tableArn") is { } table:
                yield return new(table, DataLossCategory.DatabaseExport, "export", null,
                    $"Table exported to s3://{Str(rp, "s3Bucket")}" + (Str(rp, "s3BucketOwner") is { } owner ? $" (bucket owner {owner})" : ""));
                break;
            case "CreateInstanceExportTask" when Str(rp, "instanceId") is { } instance:
                yield return new($"arn:aws:ec2:{region}:{account}:instance/{instance}", DataLossCategory.DatabaseExport, "export", null,
                    $"Instance exported to s3://{Str(Obj(rp, "exportToS3"), "s3Bucket")}");
                break;
        }
    }

    /// <summary>EC2 createVolumePermission / launchPermission: add and remove lists of accounts or the group all.</summary>
    private static IEnumerable<ChangeFinding> Permissions(JsonElement rp, string attribute, string resource, string what)
    {
        var permission = Obj(rp, attribute);
        foreach (var (list, opens) in new[] { ("add", true), ("remove", false) })
        {
            var items = Obj(Obj(permission, list), "items");
            if (items.ValueKind != JsonValueKind.Array) continue;
            foreach (var item in items.EnumerateArray())
            {
                var who = Str(item, "userId") ?? (Str(item, "group") is { } g ? "group " + g : null);
                if (who is null) continue;
                var isPublic = who == "group all";
                yield return new(resource, DataLossCategory.SnapshotShare, "share:" + who, opens, opens
                    ? isPublic ? $"The {what} was made public (group all)" : $"The {what} was shared with account {who}"
                    : $"The {what}'s share with {who} was removed");
            }
        }
    }

    private static IEnumerable<ChangeFinding> Gcp(ChangeEvent e, string operation, JsonElement payload)
    {
        var resource = e.Resource ?? Str(payload, "resourceName");
        if (resource is null) yield break;
        switch (operation)
        {
            case "cloudsql.instances.export":
            {
                var uri = Str(Obj(Obj(Obj(payload, "request"), "body"), "exportContext"), "uri") ?? Str(Obj(Obj(payload, "request"), "exportContext"), "uri");
                yield return new(resource, DataLossCategory.DatabaseExport, "export", null, uri is null ? "Cloud SQL instance exported" : $"Cloud SQL instance exported to {uri}");
                break;
            }
            case var m when m.EndsWith("compute.snapshots.setIamPolicy", StringComparison.Ordinal) || m.EndsWith("compute.images.setIamPolicy", StringComparison.Ordinal):
            {
                var members = PolicyMembers(payload).ToList();
                var what = m.Contains("snapshots", StringComparison.Ordinal) ? "snapshot" : "image";
                yield return new(resource, DataLossCategory.SnapshotShare, "iam", members.Count > 0, members.Count > 0
                    ? $"The {what}'s IAM policy grants {string.Join(", ", members.Take(10))}"
                    : $"The {what}'s IAM policy grants nobody");
                break;
            }
            default:
            {
                // storage.setIamPermissions logs the change as binding deltas; SetIamPolicy logs the new policy.
                bool? opens = null;
                if (Obj(Obj(Obj(payload, "serviceData"), "policyDelta"), "bindingDeltas") is { ValueKind: JsonValueKind.Array } deltas)
                {
                    foreach (var delta in deltas.EnumerateArray())
                    {
                        if (Str(delta, "member") is "allUsers" or "allAuthenticatedUsers")
                            opens = Str(delta, "action") == "ADD" ? true : opens ?? false;
                    }
                }
                else
                {
                    opens = PolicyMembers(payload).Any(m => m is "allUsers" or "allAuthenticatedUsers");
                }
                if (opens is { } o)
                    yield return new(resource, DataLossCategory.PublicExposure, "iam-public", o,
                        o ? "IAM policy grants allUsers or allAuthenticatedUsers" : "IAM policy no longer grants allUsers or allAuthenticatedUsers");
                break;
            }
        }
    }

    private static IEnumerable<string> PolicyMembers(JsonElement payload)
    {
        var bindings = Obj(Obj(Obj(payload, "request"), "policy"), "bindings");
        if (bindings.ValueKind != JsonValueKind.Array) yield break;
        foreach (var binding in bindings.EnumerateArray())
        {
            foreach (var member in Strings(binding, "members")) yield return member;
        }
    }

    private static IEnumerable<ChangeFinding> Azure(ChangeEvent e, string operation, JsonElement root)
    {
        var resource = e.Resource?.ToLowerInvariant();
        if (resource is null) yield break;
        // Request bodies, where the log has one, are JSON text inside properties.
        var text = root.GetRawText();
        switch (operation)
        {
            case "microsoft.compute/disks/begingetaccess/action" or "microsoft.compute/snapshots/begingetaccess/action"
                or "microsoft.compute/restorepointcollections/restorepoints/diskrestorepoints/begingetaccess/action":
                yield return new(resource, DataLossCategory.SnapshotShare, "sas", true, "A read SAS URL was issued for the disk or snapshot (export)");
                break;
            case "microsoft.compute/disks/endgetaccess/action" or "microsoft.compute/snapshots/endgetaccess/action"
                or "microsoft.compute/restorepointcollections/restorepoints/diskrestorepoints/endgetaccess/action":
                yield return new(resource, DataLossCategory.SnapshotShare, "sas", false, "The SAS URL was revoked");
                break;
            case "microsoft.storage/storageaccounts/listkeys/action":
                yield return new(resource, DataLossCategory.ObjectRead, "keys", true, "Storage account keys listed: every blob is readable with them until they are rotated");
                break;
            case "microsoft.storage/storageaccounts/regeneratekey/action":
                yield return new(resource, DataLossCategory.ObjectRead, "keys", false, "Storage account key regenerated");
                break;
            case "microsoft.storage/storageaccounts/blobservices/containers/write":
                if (Setting(text, "publicAccess") is { } access)
                {
                    var open = !access.Equals("None", StringComparison.OrdinalIgnoreCase);
                    yield return new(resource, DataLossCategory.PublicExposure, "container-public", open,
                        open ? $"Container public access set to {access}" : "Container public access turned off");
                }
                break;
            case "microsoft.storage/storageaccounts/write":
                if (Setting(text, "allowBlobPublicAccess") is { } allow)
                {
                    var open = allow.Equals("true", StringComparison.OrdinalIgnoreCase);
                    yield return new(resource, DataLossCategory.PublicExposure, "guard", open,
                        open ? "Storage account allows public blob access" : "Storage account disallows public blob access");
                }
                break;
            case "microsoft.sql/servers/databases/export/action":
                yield return new(resource, DataLossCategory.DatabaseExport, "export", null, "Azure SQL database exported (BACPAC)");
                break;
        }
    }

    /// <summary>A setting's value from a request body that may be nested JSON or JSON inside a string.</summary>
    private static string? Setting(string text, string name)
    {
        var unescaped = text.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\u0022", "\"", StringComparison.OrdinalIgnoreCase);
        var at = unescaped.IndexOf($"\"{name}\"", StringComparison.OrdinalIgnoreCase);
        if (at < 0) return null;
        var colon = unescaped.IndexOf(':', at + name.Length + 2);
        if (colon < 0) return null;
        var value = unescaped[(colon + 1)..].TrimStart();
        var end = value.IndexOfAny([',', '}', ']']);
        return (end < 0 ? value : value[..end]).Trim().Trim('"');
    }

    private static string? Bucket(ChangeEvent e, JsonElement rp) =>
        Str(rp, "bucketName") is { } bucket ? $"arn:aws:s3:::{bucket}"
        : e.Resource is { } r && r.StartsWith("arn:aws:s3:::", StringComparison.Ordinal) ? r.Split('/')[0] : null;

    private static bool PublicPolicy(JsonElement rp)
    {
        var policy = Obj(rp, "bucketPolicy");
        if (policy.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var parsed = JsonDocument.Parse(policy.GetString()!);
                policy = parsed.RootElement.Clone();
            }
            catch (JsonException)
            {
                return false;
            }
        }
        var statements = Obj(policy, "Statement");
        IEnumerable<JsonElement> list = statements.ValueKind switch
        {
            JsonValueKind.Array => statements.EnumerateArray(),
            JsonValueKind.Object => [statements],
            _ => [],
        };
        return list.Any(s => Str(s, "Effect") == "Allow" && Everyone(Obj(s, "Principal")));
    }

    private static bool Everyone(JsonElement principal) => principal.ValueKind switch
    {
        JsonValueKind.String => principal.GetString() == "*",
        JsonValueKind.Object => principal.EnumerateObject().Any(p => Everyone(p.Value)),
        JsonValueKind.Array => principal.EnumerateArray().Any(Everyone),
        _ => false,
    };

    private static bool PublicAcl(JsonElement rp)
    {
        if (rp.ValueKind != JsonValueKind.Object) return false;
        var text = rp.GetRawText();
        return text.Contains("acs.amazonaws.com/groups/global/AllUsers", StringComparison.Ordinal)
            || text.Contains("acs.amazonaws.com/groups/global/AuthenticatedUsers", StringComparison.Ordinal)
            || Strings(rp, "x-amz-acl").Any(a => a is "public-read" or "public-read-write" or "authenticated-read");
    }

    private static bool Weakened(JsonElement rp)
    {
        var configuration = Obj(rp, "PublicAccessBlockConfiguration");
        if (configuration.ValueKind != JsonValueKind.Object) return false;
        return new[] { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets" }
            .Any(setting => Bool(configuration, setting) is false);
    }

    private static JsonElement Obj(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? Str(JsonElement element, string name) => Obj(element, name) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    private static bool? Bool(JsonElement element, string name) => Obj(element, name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } s when bool.TryParse(s.GetString(), out var b) => b,
        _ => null,
    };

    /// <summary>A string or a list of strings (CloudTrail writes single values both ways).</summary>
    internal static IEnumerable<string> Strings(JsonElement element, string name)
    {
        var value = Obj(element, name);
        if (value.ValueKind == JsonValueKind.String) yield return value.GetString()!;
        if (value.ValueKind != JsonValueKind.Array) yield break;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String) yield return item.GetString()!;
        }
    }
}
