using System.Text.Json;

namespace Firebreak.Cloud.Tests.Gcp;

/// <summary>
/// Response bodies shaped as Compute Engine v1, IAM v1 and Google's OAuth 2.0 token endpoint return them
/// (compute#instance, compute#operation, compute#firewall, compute#snapshot, ServiceAccount, ServiceAccountKey, error bodies).
/// </summary>
public static class GoogleJson
{
    public const string Project = "acme-prod";
    public const string Zone = "europe-west1-b";
    public const string Region = "europe-west1";
    public const string InstanceName = "web-1";
    public const string Instance = $"projects/{Project}/zones/{Zone}/instances/{InstanceName}";
    public const string ServiceAccountEmail = "web-runtime@acme-prod.iam.gserviceaccount.com";
    public const string ServiceAccount = $"projects/{Project}/serviceAccounts/{ServiceAccountEmail}";
    public const string KeyId = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
    public const string ServiceAccountKey = $"{ServiceAccount}/keys/{KeyId}";
    public const string Api = "https://www.googleapis.com/compute/v1/";
    public const string NatIp = "34.76.120.14";

    public static string InstancePath => $"{FakeGcp.Compute}{Instance}";

    public static string Token(string accessToken) =>
        $$"""{"access_token":"{{accessToken}}","expires_in":3599,"token_type":"Bearer"}""";

    /// <summary>Google's error body; Compute's carry no status, IAM's do.</summary>
    public static string Error(int code, string? status, string message, string reason) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["error"] = status is null
                ? new { code, message, errors = new[] { new { message, domain = "global", reason } } }
                : new { code, message, errors = new[] { new { message, domain = "global", reason } }, status },
        });

    public static string InstanceBody(string[]? tags = null, string fingerprint = "6smc4R4d39I=", string? natIp = NatIp, bool deletionProtection = false,
        string? createdBy = "projects/412345678901/zones/europe-west1-b/instanceGroupManagers/web-mig", string network = $"projects/{Project}/global/networks/prod-vpc")
    {
        var tagItems = string.Join(",", (tags ?? ["http-server", "web"]).Select(t => $"\"{t}\""));
        var access = natIp is null ? "" : $$""","accessConfigs":[{"kind":"compute#accessConfig","type":"ONE_TO_ONE_NAT","name":"External NAT","natIP":"{{natIp}}","networkTier":"PREMIUM"}]""";
        var metadata = createdBy is null ? "" : $$"""{"key":"created-by","value":"{{createdBy}}"},""";
        return $$"""
        {
          "kind": "compute#instance",
          "id": "4567890123456789012",
          "creationTimestamp": "2026-01-10T08:12:44.123-08:00",
          "name": "{{InstanceName}}",
          "tags": {"items": [{{tagItems}}], "fingerprint": "{{fingerprint}}"},
          "machineType": "{{Api}}projects/{{Project}}/zones/{{Zone}}/machineTypes/e2-standard-4",
          "status": "RUNNING",
          "zone": "{{Api}}projects/{{Project}}/zones/{{Zone}}",
          "canIpForward": false,
          "networkInterfaces": [{
            "kind": "compute#networkInterface",
            "network": "{{Api}}{{network}}",
            "subnetwork": "{{Api}}projects/{{Project}}/regions/{{Region}}/subnetworks/prod-web",
            "networkIP": "10.132.0.5",
            "name": "nic0"{{access}},
            "fingerprint": "ztwPNgI0vJs=",
            "stackType": "IPV4_ONLY"
          }],
          "disks": [
            {"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "source": "{{Api}}projects/{{Project}}/zones/{{Zone}}/disks/web-1", "deviceName": "web-1", "index": 0, "boot": true, "autoDelete": true, "interface": "SCSI", "diskSizeGb": "20"},
            {"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "source": "{{Api}}projects/{{Project}}/zones/{{Zone}}/disks/web-1-data", "deviceName": "data", "index": 1, "boot": false, "autoDelete": false, "interface": "SCSI", "diskSizeGb": "200"},
            {"kind": "compute#attachedDisk", "type": "SCRATCH", "mode": "READ_WRITE", "deviceName": "local-ssd-0", "index": 2, "boot": false, "autoDelete": true, "interface": "NVME", "diskSizeGb": "375"}
          ],
          "metadata": {"kind": "compute#metadata", "fingerprint": "q1xK3n0n2SA=", "items": [{{metadata}}{"key": "startup-script", "value": "#!/bin/bash\necho hello"}]},
          "serviceAccounts": [{"email": "{{ServiceAccountEmail}}", "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}],
          "selfLink": "{{Api}}{{Instance}}",
          "scheduling": {"onHostMaintenance": "MIGRATE", "automaticRestart": true, "preemptible": false, "provisioningModel": "STANDARD"},
          "cpuPlatform": "Intel Broadwell",
          "labelFingerprint": "42WmSpB8rSM=",
          "startRestricted": false,
          "deletionProtection": {{(deletionProtection ? "true" : "false")}},
          "fingerprint": "8x1vC0y5nUo="
        }
        """;
    }

    /// <summary>A compute#operation: zonal when <paramref name="zone"/> is given, global otherwise.</summary>
    public static string Operation(string name, string type, string target, string status = "RUNNING", string? zone = Zone, string? error = null, string project = Project)
    {
        var scope = zone is null ? "global" : $"zones/{zone}";
        var zoneField = zone is null ? "" : $"\"zone\": \"{Api}projects/{project}/zones/{zone}\",";
        var errorFields = error is null ? "" : $"\"error\": {{\"errors\": [{error}]}}, \"httpErrorStatusCode\": 403, \"httpErrorMessage\": \"FORBIDDEN\",";
        return $$"""
        {
          "kind": "compute#operation",
          "id": "7311111222233334444",
          "name": "{{name}}",
          {{zoneField}}
          "operationType": "{{type}}",
          "targetLink": "{{Api}}{{target}}",
          "targetId": "4567890123456789012",
          "status": "{{status}}",
          "user": "firebreak-responder@acme-prod.iam.gserviceaccount.com",
          "progress": {{(status == "DONE" ? 100 : 0)}},
          "insertTime": "2026-03-14T02:00:00.000-07:00",
          "startTime": "2026-03-14T02:00:00.412-07:00",
          {{errorFields}}
          "selfLink": "{{Api}}projects/{{project}}/{{scope}}/operations/{{name}}"
        }
        """;
    }

    public static string OperationPath(string name, string? zone = Zone, string project = Project) =>
        $"{FakeGcp.Compute}projects/{project}/{(zone is null ? "global" : $"zones/{zone}")}/operations/{name}";

    public static string OperationError(string code, string message) => $$"""{"code": "{{code}}", "message": "{{message}}"}""";

    public static string Network(string name = "prod-vpc", string order = "AFTER_CLASSIC_FIREWALL") => $$"""
        {
          "kind": "compute#network",
          "id": "6311111222233334444",
          "creationTimestamp": "2025-11-02T03:14:15.000-07:00",
          "name": "{{name}}",
          "selfLink": "{{Api}}projects/{{Project}}/global/networks/{{name}}",
          "autoCreateSubnetworks": false,
          "subnetworks": ["{{Api}}projects/{{Project}}/regions/{{Region}}/subnetworks/prod-web"],
          "routingConfig": {"routingMode": "REGIONAL"},
          "mtu": 1460,
          "networkFirewallPolicyEnforcementOrder": "{{order}}"
        }
        """;

    /// <summary>The compute#firewall Compute returns for a rule Firebreak created (the request body plus server fields).</summary>
    public static string Firewall(JsonElement created)
    {
        var rule = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(created.GetRawText())!;
        var result = new Dictionary<string, object>
        {
            ["kind"] = "compute#firewall",
            ["id"] = "5311111222233334444",
            ["creationTimestamp"] = "2026-03-14T02:00:01.000-07:00",
            ["selfLink"] = $"{Api}projects/{Project}/global/firewalls/{rule["name"].GetString()}",
            ["disabled"] = false,
        };
        foreach (var (key, value) in rule) result[key] = key == "network" ? Api + value.GetString() : value;
        return JsonSerializer.Serialize(result);
    }

    public static string Snapshot(string name, string incidentLabel, string disk, string status = "READY") => $$"""
        {
          "kind": "compute#snapshot",
          "id": "2311111222233334444",
          "creationTimestamp": "2026-03-14T02:00:05.000-07:00",
          "name": "{{name}}",
          "status": "{{status}}",
          "sourceDisk": "{{Api}}projects/{{Project}}/zones/{{Zone}}/disks/{{disk}}",
          "sourceDiskId": "8311111222233334444",
          "diskSizeGb": "20",
          "storageBytes": "1073741824",
          "storageBytesStatus": "UP_TO_DATE",
          "labels": {"firebreak-incident": "{{incidentLabel}}", "firebreak-source-disk": "{{disk}}", "firebreak-source-instance": "{{InstanceName}}"},
          "labelFingerprint": "nT7_dWEoRWo=",
          "storageLocations": ["eu"],
          "selfLink": "{{Api}}projects/{{Project}}/global/snapshots/{{name}}"
        }
        """;

    public static string Addresses(string? staticName = null) => staticName is null
        ? $$"""{"kind": "compute#addressList", "id": "projects/{{Project}}/regions/{{Region}}/addresses", "selfLink": "{{Api}}projects/{{Project}}/regions/{{Region}}/addresses"}"""
        : $$"""
        {
          "kind": "compute#addressList",
          "id": "projects/{{Project}}/regions/{{Region}}/addresses",
          "items": [{
            "kind": "compute#address", "id": "9311111222233334444", "creationTimestamp": "2025-12-01T00:00:00.000-08:00",
            "name": "{{staticName}}", "description": "", "address": "{{NatIp}}", "status": "IN_USE",
            "region": "{{Api}}projects/{{Project}}/regions/{{Region}}", "selfLink": "{{Api}}projects/{{Project}}/regions/{{Region}}/addresses/{{staticName}}",
            "users": ["{{Api}}{{Instance}}"], "networkTier": "PREMIUM", "addressType": "EXTERNAL"
          }],
          "selfLink": "{{Api}}projects/{{Project}}/regions/{{Region}}/addresses"
        }
        """;

    public static string ServiceAccountBody(bool disabled) => $$"""
        {
          "name": "{{ServiceAccount}}",
          "projectId": "{{Project}}",
          "uniqueId": "112233445566778899001",
          "email": "{{ServiceAccountEmail}}",
          "displayName": "Web runtime",
          "etag": "MDEwMjE5MjA=",
          "oauth2ClientId": "112233445566778899001"{{(disabled ? ",\n  \"disabled\": true" : "")}}
        }
        """;

    public static string KeyBody(bool disabled, string keyType = "USER_MANAGED") => $$"""
        {
          "name": "{{ServiceAccountKey}}",
          "validAfterTime": "2026-02-01T10:00:00Z",
          "validBeforeTime": "9999-12-31T23:59:59Z",
          "keyAlgorithm": "KEY_ALG_RSA_2048",
          "keyOrigin": "GOOGLE_PROVIDED",
          "keyType": "{{keyType}}"{{(disabled ? ",\n  \"disabled\": true" : "")}}
        }
        """;
}
