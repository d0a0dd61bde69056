using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// SigmaHQ's Azure rules against realistic records of each shape the readers take (diagnostic export, Graph, Log
/// Analytics row, REST), read as a hunt reads them (through <see cref="CloudLogReader"/> with the rules' raw pre-filter)
/// and matched through the compiled SigmaHQ rule set: a rule written for one shape's names must match the same event in
/// the others. The rows marked "control" are the shape each rule was written for.
/// </summary>
public class SigmaHqRecordShapeTests
{
    private const string Tenant = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

    /// <summary>The file names of the SigmaHQ rules matching the one record of <paramref name="json"/>, read as a hunt reads it.</summary>
    private static async Task<List<string>> Hits(string json) =>
        (await SigmaTestRules.SigmaHq.Value.MatchRecordAsync(json)).Select(r => Path.GetFileName(r.Rule.Source.File)).ToList();

    // ---- 1. azure/signinlogs `Status|contains: 'MFA Denied'` (azure_mfa_denies.yml) vs the diagnostic-settings export.
    // The export keeps the sign-in's status object under properties.status (its envelope has no status at all), and an
    // explicit mapping turns off the properties. fallback: Status must name it.

    private const string MfaDeniedDiagnostic = """
        {"records":[{"time":"2026-03-06T06:40:11.3300000Z","resourceId":"/tenants/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9","resultType":"500121","resultSignature":"None","resultDescription":"Authentication failed during strong authentication request.","durationMs":0,"callerIpAddress":"192.0.2.150","correlationId":"4d5e6f70-8192-4a3b-b4c5-d6e7f8091a2b","identity":"Carol Ortiz","Level":4,"location":"NL","properties":{"id":"6e7f8091-a2b3-4c4d-8e5f-60718293a4b5","createdDateTime":"2026-03-06T06:40:11.3300000+00:00","userDisplayName":"Carol Ortiz","userPrincipalName":"carol@contoso.example","userId":"11aa22bb-33cc-44dd-55ee-66ff77008899","appId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","appDisplayName":"Azure Portal","ipAddress":"192.0.2.150","status":{"errorCode":500121,"failureReason":"Authentication failed during strong authentication request.","additionalDetails":"MFA denied; user declined the authentication"},"clientAppUsed":"Browser","authenticationRequirement":"multiFactorAuthentication","isInteractive":true,"resourceDisplayName":"Windows Azure Service Management API","riskState":"none"}}]}
        """;

    private const string MfaDeniedGraph = """
        {"value":[{"id":"6e7f8091-a2b3-4c4d-8e5f-60718293a4b5","createdDateTime":"2026-03-06T06:40:11Z","userDisplayName":"Carol Ortiz","userPrincipalName":"carol@contoso.example","userId":"11aa22bb-33cc-44dd-55ee-66ff77008899","appId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","appDisplayName":"Azure Portal","ipAddress":"192.0.2.150","clientAppUsed":"Browser","isInteractive":true,"resourceDisplayName":"Windows Azure Service Management API","authenticationRequirement":"multiFactorAuthentication","riskState":"none","status":{"errorCode":500121,"failureReason":"Authentication failed during strong authentication request.","additionalDetails":"MFA denied; user declined the authentication"}}]}
        """;

    [Theory]
    [InlineData("diagnostic export", MfaDeniedDiagnostic)]
    [InlineData("Graph signIn (control)", MfaDeniedGraph)]
    public async Task Signin_MfaDenied_MatchesEveryShape(string shape, string json)
    {
        Assert.True((await Hits(json)).Contains("azure_mfa_denies.yml"), $"azure_mfa_denies.yml missed the {shape}");
    }

    // ---- 2. azure/signinlogs `NetworkLocationDetails: '[]'` (azure_ad_sign_ins_from_unknown_devices.yml) vs Graph and export.
    // The rule is written for the SigninLogs column, whose dynamic value is the text "[]". Graph and the export keep
    // networkLocationDetails as a JSON array (empty when the sign-in is from no named location), which is that text.

    private const string UnknownDeviceProperties = """
        "id":"6e7f8091-a2b3-4c4d-8e5f-60718293a4b6","createdDateTime":"2026-03-06T06:41:02Z","userDisplayName":"Carol Ortiz","userPrincipalName":"carol@contoso.example","userId":"11aa22bb-33cc-44dd-55ee-66ff77008899","appId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","appDisplayName":"Azure Portal","ipAddress":"192.0.2.150","clientAppUsed":"Browser","conditionalAccessStatus":"notApplied","isInteractive":true,"resourceDisplayName":"Windows Azure Service Management API","authenticationRequirement":"singleFactorAuthentication","riskState":"none","status":{"errorCode":0},"deviceDetail":{"deviceId":"","displayName":"","operatingSystem":"Windows10","browser":"Chrome 124.0","isCompliant":false,"isManaged":false,"trustType":""},"networkLocationDetails":[]
        """;

    private const string UnknownDeviceLogAnalytics = """
        [{"TenantId":"f0e1d2c3-b4a5-4697-8877-665544332211","TimeGenerated":"2026-03-06T06:41:05Z","ResourceId":"/tenants/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9/providers/Microsoft.aadiam","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"0","ResultDescription":"","CreatedDateTime":"2026-03-06T06:41:02Z","AuthenticationRequirement":"singleFactorAuthentication","ConditionalAccessStatus":"notApplied","UserPrincipalName":"carol@contoso.example","AppId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","Status":"{\"errorCode\":0}","DeviceDetail":"{\"deviceId\":\"\",\"operatingSystem\":\"Windows10\",\"browser\":\"Chrome 124.0\",\"isCompliant\":false,\"trustType\":\"\"}","NetworkLocationDetails":"[]","AADTenantId":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9","Type":"SigninLogs"}]
        """;

    [Theory]
    [InlineData("Graph signIn", "{\"value\":[{" + UnknownDeviceProperties + "}]}")]
    [InlineData("diagnostic export", "{\"records\":[{\"time\":\"2026-03-06T06:41:02Z\",\"resourceId\":\"/tenants/" + Tenant + "/providers/Microsoft.aadiam\",\"operationName\":\"Sign-in activity\",\"category\":\"SignInLogs\",\"tenantId\":\"" + Tenant + "\",\"resultType\":\"0\",\"resultSignature\":\"None\",\"callerIpAddress\":\"192.0.2.150\",\"properties\":{" + UnknownDeviceProperties + "}}]}")]
    [InlineData("SigninLogs row (control)", UnknownDeviceLogAnalytics)]
    public async Task Signin_FromUnknownDevice_MatchesEveryShape(string shape, string json)
    {
        Assert.True((await Hits(json)).Contains("azure_ad_sign_ins_from_unknown_devices.yml"), $"azure_ad_sign_ins_from_unknown_devices.yml missed the {shape}");
    }

    [Fact]
    public async Task Signin_FromANamedLocation_IsNotFromAnUnknownDevice()
    {
        var named = "{\"value\":[{" + UnknownDeviceProperties.Replace("\"networkLocationDetails\":[]", "\"networkLocationDetails\":[{\"networkType\":\"namedNetwork\",\"networkNames\":[\"Head office\"]}]", StringComparison.Ordinal) + "}]}";
        Assert.NotEqual("{\"value\":[{" + UnknownDeviceProperties + "}]}", named);
        Assert.DoesNotContain("azure_ad_sign_ins_from_unknown_devices.yml", await Hits(named));
    }

    // ---- 3. azure/signinlogs `Status: 'Success'` (azure_ad_only_single_factor_auth_required.yml, and the same selection in
    // azure_ad_suspicious_signin_bypassing_mfa.yml and azure_ad_risky_sign_ins_with_singlefactorauth_from_unknown_devices.yml)
    // vs a Graph signIn. Graph has no resultSignature; its result is status, a signInStatus object whose errorCode is 0 on
    // success. Nothing in a Graph sign-in is the text "Success": the reader's outcome gives the word.

    [Fact]
    public async Task Signin_SingleFactorSuccess_MatchesGraphSignIn()
    {
        const string Graph = """
            {"value":[{"id":"6e7f8091-a2b3-4c4d-8e5f-60718293a4b7","createdDateTime":"2026-03-06T06:42:00Z","userDisplayName":"Carol Ortiz","userPrincipalName":"carol@contoso.example","userId":"11aa22bb-33cc-44dd-55ee-66ff77008899","appId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","appDisplayName":"Azure Portal","ipAddress":"192.0.2.150","clientAppUsed":"Browser","conditionalAccessStatus":"notApplied","isInteractive":true,"resourceDisplayName":"Windows Azure Service Management API","authenticationRequirement":"singleFactorAuthentication","riskState":"none","status":{"errorCode":0,"failureReason":"Other.","additionalDetails":null}}]}
            """;
        Assert.Contains("azure_ad_only_single_factor_auth_required.yml", await Hits(Graph));

        // A failed one is no success: the outcome says failure.
        var failed = Graph.Replace("\"errorCode\":0", "\"errorCode\":50126", StringComparison.Ordinal);
        Assert.NotEqual(Graph, failed);
        Assert.DoesNotContain("azure_ad_only_single_factor_auth_required.yml", await Hits(failed));
    }

    // ---- 4. azure/auditlogs `Status` / `properties.result` vs an export writing the result as its number.
    // An older export's result is Graph's operationResult number (0 success, 1 failure, 2 timeout), which the audit
    // reader turns into its outcome; the rules' Status/Result/properties.result compare the word.

    private static string AuditExport(string activity, string service, string result) => $$$"""
        {"records":[{"time":"2026-03-06T08:00:00.0000000Z","resourceId":"/tenants/{{{Tenant}}}/providers/Microsoft.aadiam","operationName":"{{{activity}}}","operationVersion":"1.0","category":"AuditLogs","tenantId":"{{{Tenant}}}","resultSignature":"None","durationMs":0,"callerIpAddress":"198.51.100.61","correlationId":"b3c4d5e6-f708-4192-a3b4-c5d6e7f80912","Level":4,"properties":{"id":"Directory_b3c4d5e6_ABCDE_12345678","category":"UserManagement","correlationId":"b3c4d5e6-f708-4192-a3b4-c5d6e7f80912","result":{{{result}}},"resultReason":"","activityDisplayName":"{{{activity}}}","activityDateTime":"2026-03-06T08:00:00+00:00","loggedByService":"{{{service}}}","operationType":"Update","initiatedBy":{"user":{"id":"11aa22bb-33cc-44dd-55ee-66ff77008899","displayName":null,"userPrincipalName":"carol@contoso.example","ipAddress":"198.51.100.61","roles":[]}},"targetResources":[{"id":"44dd55ee-66ff-7700-8899-110022334455","displayName":null,"type":"User","userPrincipalName":"mallory@contoso.example","modifiedProperties":[]}],"additionalDetails":[]}}]}
        """;

    [Theory]
    [InlineData("Disable Strong Authentication", "MFA", "0", "azure_mfa_disabled.yml")]
    [InlineData("Add user", "Core Directory", "0", "azure_ad_account_created_deleted.yml")]
    [InlineData("Invite external user", "Invited Users", "1", "azure_guest_invite_failure.yml")]
    [InlineData("Disable Strong Authentication", "MFA", "\"success\"", "azure_mfa_disabled.yml")] // control
    [InlineData("Invite external user", "Invited Users", "\"failure\"", "azure_guest_invite_failure.yml")] // control
    public async Task Audit_ResultRules_MatchAnExportWritingTheResultAsANumber(string activity, string service, string result, string rule)
    {
        Assert.Contains(rule, await Hits(AuditExport(activity, service, result)));
    }

    [Theory]
    // The other result, as a number or a word, is not the one the rule asks for.
    [InlineData("Disable Strong Authentication", "MFA", "1", "azure_mfa_disabled.yml")]
    [InlineData("Invite external user", "Invited Users", "0", "azure_guest_invite_failure.yml")]
    [InlineData("Invite external user", "Invited Users", "\"success\"", "azure_guest_invite_failure.yml")]
    public async Task Audit_ResultRules_DoNotMatchTheOtherResult(string activity, string service, string result, string rule)
    {
        Assert.DoesNotContain(rule, await Hits(AuditExport(activity, service, result)));
    }

    // ---- 5. azure/activitylogs `ResourceProviderValue` (azure_aadhybridhealth_adfs_new_server.yml,
    // azure_aadhybridhealth_adfs_service_delete.yml) vs the Azure Monitor export. The export has no resource provider field:
    // per Microsoft's mapping, "subscriptionId, resourceType, resourceGroupName are all inferred from the resourceId";
    // its properties hold statusCode, eventCategory, entity, message, hierarchy. The provider is the operation's first part.

    private const string AdfsResource = "/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/identity-rg/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example";

    private const string AdfsExport = """
        {"records":[{"time":"2026-03-05T11:22:33.4455667Z","resourceId":"/SUBSCRIPTIONS/0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9/RESOURCEGROUPS/IDENTITY-RG/PROVIDERS/MICROSOFT.ADHYBRIDHEALTHSERVICE/SERVICES/ADFEDERATIONSERVICE-CONTOSO.EXAMPLE","operationName":"MICROSOFT.ADHYBRIDHEALTHSERVICE/SERVICES/SERVICEMEMBERS/ACTION","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.OK","durationMs":"312","callerIpAddress":"203.0.113.90","correlationId":"d5e6f708-192a-4b3c-84d5-e6f708192a40","identity":{"authorization":{"scope":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/identity-rg/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example","action":"Microsoft.ADHybridHealthService/services/servicemembers/action","evidence":{"role":"Owner","roleAssignmentScope":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9","principalType":"User"}},"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"mallory@contoso.example","name":"Mallory Quinn","ipaddr":"203.0.113.90","scp":"user_impersonation","appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c"}},"level":"Information","location":"global","properties":{"statusCode":"OK","serviceRequestId":null,"eventCategory":"Administrative","entity":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/identity-rg/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example","message":"Microsoft.ADHybridHealthService/services/servicemembers/action","hierarchy":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"}}]}
        """;

    private const string AdfsRest = """
        {"value":[{"authorization":{"action":"Microsoft.ADHybridHealthService/services/servicemembers/action","scope":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/identity-rg/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example"},"caller":"mallory@contoso.example","channels":"Operation","claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"mallory@contoso.example","name":"Mallory Quinn","scp":"user_impersonation"},"correlationId":"d5e6f708-192a-4b3c-84d5-e6f708192a40","eventDataId":"e6f70819-2a3b-4c4d-95e6-f708192a3b41","eventName":{"value":"EndRequest","localizedValue":"End request"},"category":{"value":"Administrative","localizedValue":"Administrative"},"eventTimestamp":"2026-03-05T11:22:33.4455667Z","httpRequest":{"clientIpAddress":"203.0.113.90","method":"POST"},"level":"Informational","operationName":{"value":"Microsoft.ADHybridHealthService/services/servicemembers/action","localizedValue":"Add AD FS server"},"resourceGroupName":"identity-rg","resourceProviderName":{"value":"Microsoft.ADHybridHealthService","localizedValue":"Microsoft.ADHybridHealthService"},"resourceId":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/identity-rg/providers/Microsoft.ADHybridHealthService/services/AdFederationService-contoso.example","status":{"value":"Succeeded","localizedValue":"Succeeded"},"subscriptionId":"0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9","tenantId":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9","properties":{"statusCode":"OK"}}]}
        """;

    [Theory]
    [InlineData("Azure Monitor export", AdfsExport)]
    [InlineData("REST event (control)", AdfsRest)]
    public async Task Activity_AdfsServerAdded_MatchesEveryShape(string shape, string json)
    {
        Assert.True((await Hits(json)).Contains("azure_aadhybridhealth_adfs_new_server.yml"), $"azure_aadhybridhealth_adfs_new_server.yml missed the {shape}");
    }
}
