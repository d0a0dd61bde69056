namespace Firebreak.Cloud.Tests.Azure;

/// <summary>Response bodies in the shapes the Azure REST API (ARM) and Microsoft Graph references document.</summary>
public static class AzureJson
{
    public const string Subscription = "8f2d1c3e-5a6b-4c7d-9e8f-0a1b2c3d4e5f";
    public const string DirectoryId = "5b6a1f0e-3c2d-4b8a-9f7e-1d2c3b4a5e6f";
    public const string Location = "westeurope";
    public const string Group = $"/subscriptions/{Subscription}/resourceGroups/rg-web";
    public const string Vm = $"{Group}/providers/Microsoft.Compute/virtualMachines/web-1";
    public const string Nic0 = $"{Group}/providers/Microsoft.Network/networkInterfaces/web-1-nic0";
    public const string Nic1 = $"{Group}/providers/Microsoft.Network/networkInterfaces/web-1-nic1";
    public const string WebNsg = $"{Group}/providers/Microsoft.Network/networkSecurityGroups/nsg-web";
    public const string OsDisk = $"{Group}/providers/Microsoft.Compute/disks/web-1_OsDisk_1_9f8e7d6c";
    public const string DataDisk = $"{Group}/providers/Microsoft.Compute/disks/web-1-data0";
    public const string UserId = "3f1c2b4a-7d6e-4f5a-8b9c-0d1e2f3a4b5c";
    public const string AppId = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d";
    public const string SecretKeyId1 = "1b2c3d4e-0000-4000-8000-00000000a001";
    public const string SecretKeyId2 = "1b2c3d4e-0000-4000-8000-00000000a002";
    public const string CertificateKeyId = "1b2c3d4e-0000-4000-8000-00000000c001";

    /// <summary>A value that must never leave the fake: if any secret were copied from a response, it would show up.</summary>
    public const string LeakCanary = "Qx8~LEAKED-SECRET-TEXT-never-copy";

    public static string Error(string code, string message) => $$$"""{"error":{"code":"{{{code}}}","message":"{{{message}}}"}}""";

    public static string AuthorizationFailed(string action, string scope) => Error("AuthorizationFailed",
        $"The client 'f5b1e8a0-1111-4c2d-9e3f-4a5b6c7d8e9f' with object id 'f5b1e8a0-1111-4c2d-9e3f-4a5b6c7d8e9f' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.");

    public static string GraphError(string code, string message) =>
        $$$$"""{"error":{"code":"{{{{code}}}}","message":"{{{{message}}}}","innerError":{"date":"2026-03-14T09:00:00","request-id":"0f0e0d0c-1111-2222-3333-444455556666","client-request-id":"0f0e0d0c-1111-2222-3333-444455556666"}}}""";

    public static string VirtualMachine(bool scaleSet = false, string power = "running", bool ephemeral = false) => $$"""
        {
          "name": "web-1",
          "id": "{{Vm}}",
          "type": "Microsoft.Compute/virtualMachines",
          "location": "{{Location}}",
          "tags": { "app": "web" },
          "properties": {
            "vmId": "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1",
            "hardwareProfile": { "vmSize": "Standard_D2s_v3" },
            {{(scaleSet ? $"\"virtualMachineScaleSet\": {{ \"id\": \"{Group}/providers/Microsoft.Compute/virtualMachineScaleSets/web-vmss\" }}," : "")}}
            "storageProfile": {
              "imageReference": { "publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest", "exactVersion": "22.04.202402010" },
              "osDisk": {
                "osType": "Linux",
                "name": "web-1_OsDisk_1_9f8e7d6c",
                "createOption": "FromImage",
                "caching": "ReadWrite",
                {{(ephemeral ? "\"diffDiskSettings\": { \"option\": \"Local\", \"placement\": \"CacheDisk\" }," : "")}}
                "managedDisk": { "storageAccountType": "Premium_LRS", "id": "{{OsDisk}}" },
                "deleteOption": "Delete",
                "diskSizeGB": 30
              },
              "dataDisks": [
                {
                  "lun": 0,
                  "name": "web-1-data0",
                  "createOption": "Attach",
                  "caching": "None",
                  "managedDisk": { "storageAccountType": "Premium_LRS", "id": "{{DataDisk}}" },
                  "deleteOption": "Detach",
                  "diskSizeGB": 128,
                  "toBeDetached": false
                }
              ]
            },
            "osProfile": { "computerName": "web-1", "adminUsername": "azureuser", "linuxConfiguration": { "disablePasswordAuthentication": true, "provisionVMAgent": true }, "secrets": [], "allowExtensionOperations": true },
            "networkProfile": {
              "networkInterfaces": [
                { "id": "{{Nic0}}", "properties": { "primary": true } },
                { "id": "{{Nic1}}", "properties": { "primary": false } }
              ]
            },
            "provisioningState": "Succeeded",
            "instanceView": {
              "computerName": "web-1",
              "osName": "ubuntu",
              "statuses": [
                { "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": "2026-03-10T08:00:00+00:00" },
                { "code": "PowerState/{{power}}", "level": "Info", "displayStatus": "VM {{power}}" }
              ]
            },
            "timeCreated": "2026-01-05T10:00:00+00:00"
          }
        }
        """;

    public static string NetworkInterface(string id, string? nsg, string etag = "W/\"00000000-0000-0000-0000-000000000001\"") => $$"""
        {
          "name": "{{id.Split('/')[^1]}}",
          "id": "{{id}}",
          "etag": "{{etag.Replace("\"", "\\\"")}}",
          "location": "{{Location}}",
          "type": "Microsoft.Network/networkInterfaces",
          "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "9c5c7d2e-8a1b-4f3e-b6d5-0a1b2c3d4e5f",
            "ipConfigurations": [
              {
                "name": "ipconfig1",
                "id": "{{id}}/ipConfigurations/ipconfig1",
                "etag": "{{etag.Replace("\"", "\\\"")}}",
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": {
                  "provisioningState": "Succeeded",
                  "privateIPAddress": "10.0.1.4",
                  "privateIPAllocationMethod": "Dynamic",
                  "subnet": { "id": "/subscriptions/{{Subscription}}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-prod/subnets/web" },
                  "primary": true,
                  "privateIPAddressVersion": "IPv4"
                }
              }
            ],
            "dnsSettings": { "dnsServers": [], "appliedDnsServers": [] },
            "macAddress": "00-0D-3A-1B-C7-21",
            "enableAcceleratedNetworking": true,
            "enableIPForwarding": false,
            {{(nsg is null ? "" : $"\"networkSecurityGroup\": {{ \"id\": \"{nsg}\" }},")}}
            "primary": true,
            "virtualMachine": { "id": "{{Vm}}" },
            "nicType": "Standard"
          }
        }
        """;

    public static string SecurityGroup(string id, string? examinerCidr, string state = "Succeeded") => $$"""
        {
          "name": "{{id.Split('/')[^1]}}",
          "id": "{{id}}",
          "etag": "W/\"5d7f9a1b-0000-0000-0000-000000000001\"",
          "type": "Microsoft.Network/networkSecurityGroups",
          "location": "{{Location}}",
          "properties": {
            "provisioningState": "{{state}}",
            "resourceGuid": "2bd4c4a1-8f0e-4b7d-9c6a-3e2f1a0b9c8d",
            "securityRules": [
              {{(examinerCidr is null ? "" : Rule(id, "firebreak-allow-examiner", 100, "Inbound", "Allow", "Tcp", examinerCidr, "\"destinationPortRanges\": [\"22\", \"3389\"]") + ",")}}
              {{Rule(id, "firebreak-deny-all-inbound", examinerCidr is null ? 100 : 110, "Inbound", "Deny", "*", "*", "\"destinationPortRange\": \"*\"")}},
              {{Rule(id, "firebreak-deny-all-outbound", 100, "Outbound", "Deny", "*", "*", "\"destinationPortRange\": \"*\"")}}
            ],
            "defaultSecurityRules": [
              {{Rule(id, "AllowVnetInBound", 65000, "Inbound", "Allow", "*", "VirtualNetwork", "\"destinationPortRange\": \"*\"", "defaultSecurityRules")}}
            ]
          }
        }
        """;

    private static string Rule(string nsg, string name, int priority, string direction, string access, string protocol, string source, string ports, string kind = "securityRules") => $$"""
        {
          "name": "{{name}}",
          "id": "{{nsg}}/{{kind}}/{{name}}",
          "type": "Microsoft.Network/networkSecurityGroups/{{kind}}",
          "properties": {
            "provisioningState": "Succeeded",
            "protocol": "{{protocol}}",
            "sourcePortRange": "*",
            {{ports}},
            "sourceAddressPrefix": "{{source}}",
            "destinationAddressPrefix": "*",
            "access": "{{access}}",
            "priority": {{priority}},
            "direction": "{{direction}}"
          }
        }
        """;

    public static string AsyncStatus(string status) => $$"""{"status":"{{status}}","startTime":"2026-03-14T09:00:01.0000000+00:00"{{(status == "InProgress" ? "" : ",\"endTime\":\"2026-03-14T09:00:03.0000000+00:00\"")}}}""";

    public static string Snapshot(string name, string sourceDisk, string incident, string state) => $$"""
        {
          "name": "{{name}}",
          "id": "{{Group}}/providers/Microsoft.Compute/snapshots/{{name}}",
          "type": "Microsoft.Compute/snapshots",
          "location": "{{Location}}",
          "tags": { "firebreak:incident": "{{incident}}", "firebreak:source-disk": "{{sourceDisk.Split('/')[^1]}}", "firebreak:source-vm": "web-1" },
          "sku": { "name": "Standard_LRS", "tier": "Standard" },
          "properties": {
            "osType": "Linux",
            "hyperVGeneration": "V2",
            "creationData": { "createOption": "Copy", "sourceResourceId": "{{sourceDisk}}", "sourceUniqueId": "d633885d-d102-4481-901e-5b2413d1a7be" },
            "diskSizeGB": 30,
            "encryption": { "type": "EncryptionAtRestWithPlatformKey" },
            "incremental": false,
            "timeCreated": "2026-03-14T09:00:02.1234567+00:00",
            "provisioningState": "{{state}}",
            "diskState": "Unattached"
          }
        }
        """;

    public static string User(bool enabled = true, string validFrom = "2026-03-01T08:00:00Z", bool synced = false) => $$"""
        {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled,signInSessionsValidFromDateTime)/$entity",
          "id": "{{UserId}}",
          "userPrincipalName": "alice@contoso.onmicrosoft.com",
          "displayName": "Alice Example",
          "accountEnabled": {{(enabled ? "true" : "false")}},
          "onPremisesSyncEnabled": {{(synced ? "true" : "null")}},
          "signInSessionsValidFromDateTime": "{{validFrom}}"
        }
        """;

    public const string Revoked = """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true}""";

    /// <summary>An application with two client secrets and one certificate. Graph never returns secretText or key on a read; the canary is there to prove nothing would copy them if it did.</summary>
    public static string Application(bool withCredentials = true, string kind = "applications") => $$"""
        {
          "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#{{kind}}(id,appId,displayName,passwordCredentials,keyCredentials)/$entity",
          "id": "{{AppId}}",
          "appId": "c0ffee00-1234-4abc-8def-0123456789ab",
          "displayName": "billing-sync",
          "passwordCredentials": [{{(withCredentials ? $$"""
            { "customKeyIdentifier": null, "displayName": "ci-deploy", "endDateTime": "2027-01-01T00:00:00Z", "hint": "Qx8", "keyId": "{{SecretKeyId1}}", "secretText": "{{LeakCanary}}", "startDateTime": "2026-01-01T00:00:00Z" },
            { "customKeyIdentifier": null, "displayName": "added-by-attacker", "endDateTime": "2028-03-13T00:00:00Z", "hint": "7Rk", "keyId": "{{SecretKeyId2}}", "secretText": null, "startDateTime": "2026-03-13T22:41:00Z" }
            """ : "")}}],
          "keyCredentials": [{{(withCredentials ? $$"""
            { "customKeyIdentifier": "52F1A7C6B9D0E3F4A5B6C7D8E9F0A1B2C3D4E5F6", "displayName": "CN=billing-sync", "endDateTime": "2027-06-01T00:00:00Z", "key": "{{LeakCanary}}", "keyId": "{{CertificateKeyId}}", "startDateTime": "2026-06-01T00:00:00Z", "type": "AsymmetricX509Cert", "usage": "Verify" }
            """ : "")}}]
        }
        """;
}
