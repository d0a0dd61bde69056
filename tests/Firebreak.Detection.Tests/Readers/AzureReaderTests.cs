using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Mapping;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Tests.Sigma;

namespace Firebreak.Detection.Tests.Readers;

public class AzureReaderTests
{
    private const string Subscription = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
    private const string Tenant = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

    [Fact]
    public async Task ActivityLog_WrappedInData_IsMatchedByItsOwnFields()
    {
        // Read, mapped, and then missed by every field rule: the rules saw the envelope, which has none of the fields.
        const string Wrapped = """[{"data":{"caller":"admin@contoso.example","eventDataId":"e1","eventTimestamp":"2026-01-15T10:00:00Z","operationName":{"value":"Microsoft.Authorization/elevateAccess/action"},"category":{"value":"Administrative"},"status":{"value":"Succeeded"}},"eventType":"AZURE"}]""";
        var rules = Firebreak.Detection.Rules.BuiltInRules.Compile();

        var e = Assert.Single(await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Wrapped)), "wrapped.json"));

        Assert.Equal("e1", e.Raw.GetProperty("eventDataId").GetString());
        Assert.Contains(rules.Match(e), r => r.Rule.Title.Contains("Elevat", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ActivityLog_MonitorExport_IsMatchedByCaller_ThroughTheUpnClaim()
    {
        // The REST shape's caller is the UPN claim; an export keeps only the claims, keyed by URI (dots and all), and a
        // Caller rule looked at the name claim, a display name: it never matched the export.
        var rules = CompiledRuleSet.Compile(SigmaParser.Parse("title: by caller\nlogsource: {product: azure, service: activitylogs}\ndetection:\n  sel: {Caller: carol@contoso.example}\n  condition: sel\n", "caller.yml").Documents);

        var events = await new CloudLogReader().ReadAllAsync(TestData.Fixture("azure-activity-monitor-export.json"));

        Assert.NotEmpty(rules.Match(events[0]));
        Assert.Empty(rules.Match(events[1]));
    }

    [Fact]
    public async Task ActivityLog_MonitorExport_MapsCallerSubscriptionAndOutcome()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("azure-activity-monitor-export.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var listKeys = events[0];
        Assert.Equal(new LogSource("azure", "activitylogs"), listKeys.LogSource);
        Assert.Equal("azure", listKeys.Provider);
        // The export writes the resource id in upper case; one subscription is one account, in lower case as the other shapes write it.
        Assert.Equal(Subscription, listKeys.Account);
        Assert.Equal("MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION", listKeys.Operation);
        Assert.Equal("MICROSOFT.STORAGE", listKeys.Service);
        Assert.Equal("carol@contoso.example", listKeys.Actor.Uid);
        Assert.Equal("User", listKeys.Actor.Type);
        Assert.Equal("198.51.100.61", listKeys.SourceIp);
        Assert.Equal(EventOutcome.Success, listKeys.Outcome);
        // location is where the event was processed ("global"), not where the resource is.
        Assert.Null(listKeys.Region);
        Assert.Equal(new DateTimeOffset(2026, 3, 5, 9, 12, 44, 123, TimeSpan.Zero).AddTicks(4567), listKeys.Time);
        Assert.Equal("MICROSOFT.STORAGE/STORAGEACCOUNTS", listKeys.Resources.Single().Type);
        Assert.NotNull(listKeys.EventId);

        var deleteSettings = events[1];
        Assert.Equal("ServicePrincipal", deleteSettings.Actor.Type);
        // The service principal's object id, as the REST and Log Analytics shapes' caller and Entra's logs name it; not its app id.
        Assert.Equal("99887766-5544-4332-2110-ffeeddccbbaa", deleteSettings.Actor.Uid);
        // Its app id, what its app registration is found by, is kept beside it; a user's token names the app used (the Azure CLI).
        Assert.Equal("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", deleteSettings.Actor.AppUid);
        Assert.Equal("04b07795-8ddb-461a-bbee-02f9e1bf7b46", listKeys.Actor.AppUid);
        Assert.Equal(EventOutcome.Failure, deleteSettings.Outcome);
        Assert.Equal("Failed.Forbidden", deleteSettings.ErrorCode);
        Assert.NotEqual(listKeys.EventId, deleteSettings.EventId);
    }

    private static async Task<CloudEvent> ReadOne(string json, string name = "azure.json")
    {
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), name);
        Assert.Empty(reader.Summary.Problems);
        return Assert.Single(events);
    }

    private static string MonitorExportRecord(string claims) => $$$"""
        {"records":[{"time":"2026-03-05T09:12:44.1234567Z","resourceId":"/SUBSCRIPTIONS/0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACMEPRODDATA",
          "operationName":"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION","category":"Administrative","resultType":"Success","resultSignature":"Succeeded.OK",
          "callerIpAddress":"198.51.100.61","correlationId":"7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","identity":{"claims":{{{claims}}}},"level":"Information","location":"global",
          "properties":{"statusCode":"OK"}}]}
        """;

    [Theory]
    // A guest's token (B2B) has no upn; its appid is the app the guest used (here the portal), and it was recorded as
    // the actor, a service principal. A token with a scope is delegated: the user acted, named by the name claim.
    [InlineData("""{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"live.com#guest@outlook.example","http://schemas.microsoft.com/identity/claims/objectidentifier":"11aa22bb-33cc-44dd-55ee-66ff77008899","appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","http://schemas.microsoft.com/identity/claims/scope":"user_impersonation"}""", "User", "live.com#guest@outlook.example")]
    [InlineData("""{"http://schemas.microsoft.com/identity/claims/objectidentifier":"11aa22bb-33cc-44dd-55ee-66ff77008899","appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","scp":"user_impersonation"}""", "User", "11aa22bb-33cc-44dd-55ee-66ff77008899")]
    // An app acting as itself has roles, no scope: the app is the actor, named by its service principal's object id (as the
    // REST and Log Analytics shapes' caller names it), or by its app id when the token has none.
    [InlineData("""{"http://schemas.microsoft.com/identity/claims/objectidentifier":"99887766-5544-4332-2110-ffeeddccbbaa","appid":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","roles":"Contributor"}""", "ServicePrincipal", "99887766-5544-4332-2110-ffeeddccbbaa")]
    [InlineData("""{"appid":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","roles":"Contributor"}""", "ServicePrincipal", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")]
    public async Task ActivityLog_MonitorExport_AUserWithoutAUpn_IsTheUser_NotTheAppTheyUsed(string claims, string type, string uid)
    {
        var e = await ReadOne(MonitorExportRecord(claims));
        Assert.Equal((type, uid), (e.Actor.Type, e.Actor.Uid));
    }

    [Theory]
    // The token's authentication methods: mfa (ngcmfa for Windows Hello) among them is MFA done; without it, unknown.
    [InlineData("pwd,mfa", true)]
    [InlineData("ngcmfa", true)]
    [InlineData("pwd", null)]
    [InlineData(null, null)]
    public async Task ActivityLog_TheTokensAuthenticationMethods_SayWhetherMfaWasDone(string? methods, bool? mfa)
    {
        var amr = methods is null ? "" : $",\"http://schemas.microsoft.com/claims/authnmethodsreferences\":\"{methods}\"";
        var e = await ReadOne(MonitorExportRecord($$$"""{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"mallory@contoso.example","appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46"{{{amr}}}}"""));
        Assert.Equal(mfa, e.Actor.MfaUsed);
    }

    [Fact]
    public async Task ActivityLog_LogAnalyticsAnswer_ReadsClaimsDAndPropertiesD_KeptAsJsonText()
    {
        // The query API's answer keeps dynamic columns as JSON text; a query projecting Claims_d and Properties_d (the
        // columns the table's reference prefers) lost the actor's type and the failure's message.
        const string Answer = """
        {"tables":[{"name":"PrimaryResult","columns":[
          {"name":"TimeGenerated","type":"datetime"},{"name":"OperationNameValue","type":"string"},{"name":"Caller","type":"string"},
          {"name":"CallerIpAddress","type":"string"},{"name":"SubscriptionId","type":"string"},{"name":"ActivityStatusValue","type":"string"},
          {"name":"ActivitySubstatusValue","type":"string"},{"name":"Claims_d","type":"dynamic"},{"name":"Properties_d","type":"dynamic"},{"name":"Type","type":"string"}],
         "rows":[["2026-03-06T09:00:00Z","MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE","99887766-5544-4332-2110-ffeeddccbbaa","203.0.113.9",
          "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9","Failure","Forbidden",
          "{\"appid\":\"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\",\"http://schemas.microsoft.com/identity/claims/objectidentifier\":\"99887766-5544-4332-2110-ffeeddccbbaa\"}",
          "{\"statusCode\":\"Forbidden\",\"statusMessage\":\"{\\\"error\\\":{\\\"code\\\":\\\"AuthorizationFailed\\\"}}\"}","AzureActivity"]]}]}
        """;

        var e = await ReadOne(Answer, "activity-answer.json");

        Assert.Equal(EventOutcome.Failure, e.Outcome);
        Assert.Equal("ServicePrincipal", e.Actor.Type);
        Assert.Equal("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", e.Actor.AppUid);
        Assert.Equal("""{"error":{"code":"AuthorizationFailed"}}""", e.ErrorMessage);
    }

    [Fact]
    public async Task ActivityLog_LogAnalyticsTable_ParsesDynamicColumns()
    {
        var reader = new CloudLogReader();

        var runCommand = Assert.Single(await reader.ReadAllAsync(TestData.Fixture("azure-activity-log-analytics.json")));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", runCommand.Operation);
        Assert.Equal("MICROSOFT.COMPUTE", runCommand.Service);
        Assert.Equal(Subscription, runCommand.Account);
        Assert.Equal("dave@contoso.example", runCommand.Actor.Uid);
        Assert.Equal("Dave Ng", runCommand.Actor.Name);
        Assert.Equal("c0ffee00-1234-4567-89ab-cdef01234567", runCommand.EventId);
        Assert.Equal(EventOutcome.Success, runCommand.Outcome);
        Assert.Equal("Accepted", runCommand.RequestParameters!.Value.GetProperty("statusCode").GetString());
    }

    [Fact]
    public async Task ActivityLog_RestShape_MapsOperationCallerAndEventTime()
    {
        var reader = new CloudLogReader();

        var assignment = Assert.Single(await reader.ReadAllAsync(TestData.Fixture("azure-activity-rest.json")));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("Microsoft.Authorization/roleAssignments/write", assignment.Operation);
        Assert.Equal("Microsoft.Authorization", assignment.Service);
        Assert.Equal("mallory@contoso.example", assignment.Actor.Uid);
        Assert.Equal("Mallory Quinn", assignment.Actor.Name);
        Assert.Equal("203.0.113.90", assignment.SourceIp);
        Assert.Equal(Subscription, assignment.Account);
        Assert.Equal("e6f70819-2a3b-4c4d-95e6-f708192a3b41", assignment.EventId);
        Assert.Equal(new DateTimeOffset(2026, 3, 5, 11, 22, 33, 445, TimeSpan.Zero).AddTicks(5667), assignment.Time);
        Assert.Equal(EventOutcome.Success, assignment.Outcome);
        Assert.Equal("Microsoft.Authorization/roleAssignments", assignment.Resources.Single().Type);
    }

    [Theory]
    [InlineData("Write")]
    [InlineData("Delete")]
    [InlineData("Action")]
    public async Task ActivityLog_MonitorExport_ThroughALogProfile_CarriesTheOperationTypeAsItsCategory(string category)
    {
        // Exports made through a log profile name the operation's type (Write, Delete, Action) as the category;
        // such a record was reported as of no known format and lost.
        var record = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TestData.Fixture("azure-activity-monitor-export.json")))!["records"]![0]!;
        record["category"] = category;
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{{\"records\":[{record.ToJsonString()}]}}")), "profile-export.json");

        Assert.Empty(reader.Summary.Problems);
        var single = Assert.Single(events);
        Assert.Equal(new LogSource("azure", "activitylogs"), single.LogSource);
        Assert.Equal("carol@contoso.example", single.Actor.Uid);
    }

    [Fact]
    public async Task MixedCategories_InOneExport_AreDetectedPerRecord()
    {
        static string Records(string fixture) => System.Text.Json.JsonDocument.Parse(File.ReadAllText(fixture)).RootElement.GetProperty("records").EnumerateArray()
            .Select(r => r.GetRawText()).Aggregate((a, b) => a + "," + b);
        var mixed = "{\"records\":[" + Records(TestData.Fixture("azure-activity-monitor-export.json")) + "," + Records(TestData.Fixture("entra-signin-diagnostic.json"))
            + "," + Records(TestData.Fixture("entra-audit-diagnostic.json")) + "]}";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mixed)), "event-hub-capture.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["activitylogs", "activitylogs", "signinlogs", "signinlogs", "auditlogs"], events.Select(e => e.LogSource.Service));
    }

    [Theory]
    [InlineData("entra-signin-diagnostic.json", 2)]
    [InlineData("entra-signin-graph.json", 1)]
    [InlineData("entra-signin-log-analytics.jsonl", 1)]
    public async Task SignInLogs_InEveryShape_MapToSignInEvents(string fixture, int count)
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture(fixture));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(count, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal(new LogSource("azure", "signinlogs"), e.LogSource);
            Assert.Equal("User", e.Actor.Type);
            Assert.EndsWith("@contoso.example", e.Actor.Uid);
            Assert.NotNull(e.SourceIp);
            Assert.NotNull(e.EventId);
            Assert.NotEqual(EventOutcome.Unknown, e.Outcome);
        });
    }

    [Fact]
    public async Task SignInLogs_MapFailureCodesAndMfa()
    {
        var diagnostic = await new CloudLogReader().ReadAllAsync(TestData.Fixture("entra-signin-diagnostic.json"));
        var logAnalytics = Assert.Single(await new CloudLogReader().ReadAllAsync(TestData.Fixture("entra-signin-log-analytics.jsonl")));
        var graph = Assert.Single(await new CloudLogReader().ReadAllAsync(TestData.Fixture("entra-signin-graph.json")));

        Assert.Equal(EventOutcome.Failure, diagnostic[0].Outcome);
        Assert.Equal("50126", diagnostic[0].ErrorCode);
        Assert.Contains("invalid username or password", diagnostic[0].ErrorMessage);
        Assert.False(diagnostic[0].Actor.MfaUsed);
        Assert.Equal(Tenant, diagnostic[0].Account);
        Assert.Equal("Windows Azure Service Management API", diagnostic[0].Service);
        Assert.Equal(EventOutcome.Success, diagnostic[1].Outcome);
        Assert.True(diagnostic[1].Actor.MfaUsed);

        Assert.Equal("50074", logAnalytics.ErrorCode);
        Assert.Equal(Tenant, logAnalytics.Account);
        Assert.Equal("Frank Lee", logAnalytics.Actor.Name);

        Assert.Equal(EventOutcome.Success, graph.Outcome);
        Assert.Equal("2001:db8::7", graph.SourceIp);
        Assert.Equal("Sign-in activity", graph.Operation);
    }

    [Fact]
    public async Task LogAnalyticsRows_AreTimedWhenTheSignInOrActivityHappened_NotWhenIngested()
    {
        // The SigninLogs and AuditLogs tables give the event's own time (CreatedDateTime, ActivityDateTime) beside
        // TimeGenerated, when the row was ingested: minutes or hours later. Every row was timed by TimeGenerated.
        const string Rows = """
            {"TenantId":"t1","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:40:00Z","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"0","UserPrincipalName":"erin@contoso.example","IPAddress":"198.51.100.9","Type":"SigninLogs"}
            {"TenantId":"t1","TimeGenerated":"2026-03-06T11:00:00Z","ActivityDateTime":"2026-03-06T10:20:00Z","OperationName":"Add member to role","Category":"RoleManagement","Result":"success","InitiatedBy":"{\"user\":{\"userPrincipalName\":\"carol@contoso.example\"}}","Type":"AuditLogs"}
            """;
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Rows)), "rows.jsonl");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal([new DateTimeOffset(2026, 3, 6, 10, 40, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 6, 10, 20, 0, TimeSpan.Zero)], events.Select(e => e.Time));
        Assert.Equal(["signinlogs", "auditlogs"], events.Select(e => e.LogSource.Service));
        Assert.Equal("carol@contoso.example", events[1].Actor.Uid);
    }

    [Fact]
    public async Task LogAnalyticsSignInRows_AreNeverGivenTheWorkspaceIdForATenant()
    {
        // A Log Analytics row's TenantId is the workspace's id. The non-interactive, service principal and managed identity
        // sign-in tables have no AADTenantId: their tenant is in the resource id, then ResourceTenantId, then HomeTenantId.
        const string Workspace = "ffffffff-0000-4000-8000-000000000001";
        var rows = string.Join("\n",
            $$"""{"TenantId":"{{Workspace}}","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:40:00Z","Category":"NonInteractiveUserSignInLogs","ResultType":"0","UserPrincipalName":"erin@contoso.example","HomeTenantId":"11111111-1111-4111-8111-111111111111","ResourceTenantId":"22222222-2222-4222-8222-222222222222","_ResourceId":"/tenants/{{Tenant}}/providers/microsoft.aadiam","Type":"AADNonInteractiveUserSignInLogs"}""",
            $$"""{"TenantId":"{{Workspace}}","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:41:00Z","Category":"ServicePrincipalSignInLogs","ResultType":"0","ServicePrincipalName":"ci","ResourceTenantId":"22222222-2222-4222-8222-222222222222","HomeTenantId":"11111111-1111-4111-8111-111111111111","Type":"AADServicePrincipalSignInLogs"}""",
            $$"""{"TenantId":"{{Workspace}}","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:42:00Z","Category":"ManagedIdentitySignInLogs","ResultType":"0","ServicePrincipalName":"mi","Type":"AADManagedIdentitySignInLogs"}""",
            $$"""{"TenantId":"{{Workspace}}","AADTenantId":"{{Tenant}}","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:43:00Z","Category":"SignInLogs","ResultType":"0","UserPrincipalName":"erin@contoso.example","Type":"SigninLogs"}""");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(rows)), "rows.jsonl");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal([Tenant, "22222222-2222-4222-8222-222222222222", null, Tenant], events.Select(e => e.Account));
    }

    [Fact]
    public async Task ASignInRuleWrittenForTheExport_MatchesTheSameSignInFromGraphAndLogAnalytics()
    {
        // properties.status.errorCode is where the diagnostic export keeps it; Graph keeps status.errorCode at the top,
        // Log Analytics a Status column of JSON text. The rule matched the export only.
        var rules = SigmaTestRules.Detection("    sel: {properties.status.errorCode: 50126}\n    condition: sel", logsource: "product: azure\n    service: signinlogs");
        string[] shapes =
        [
            $$$$"""{"time":"2026-03-06T10:40:00Z","tenantId":"{{{{Tenant}}}}","category":"SignInLogs","operationName":"Sign-in activity","resultType":"50126","properties":{"id":"x1","createdDateTime":"2026-03-06T10:40:00Z","userPrincipalName":"erin@contoso.example","appId":"a","status":{"errorCode":50126}}}""",
            """{"id":"x2","createdDateTime":"2026-03-06T10:40:00Z","userPrincipalName":"erin@contoso.example","appId":"a","status":{"errorCode":50126,"failureReason":"Invalid username or password."}}""",
            """{"TenantId":"w","TimeGenerated":"2026-03-06T11:00:00Z","CreatedDateTime":"2026-03-06T10:40:00Z","Category":"SignInLogs","ResultType":"50126","UserPrincipalName":"erin@contoso.example","Status":"{\"errorCode\":50126}","Type":"SigninLogs"}""",
            // Another code: no shape matches.
            """{"id":"x3","createdDateTime":"2026-03-06T10:40:00Z","userPrincipalName":"erin@contoso.example","appId":"a","status":{"errorCode":0}}""",
        ];

        var events = await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", shapes))), "shapes.jsonl");

        Assert.Equal([true, true, true, false], events.Select(e => rules.Match(e).Any()));
    }

    [Fact]
    public async Task AuditLogs_OlderExportSample_ReadsItsNumericResult_NoAddress_AndTheIdentityThatInitiatedIt()
    {
        // The shape of Microsoft's sample of an audit log exported to Azure Monitor: result as a number, "<null>" for no
        // address, an empty initiatedBy with the initiator named in identity.
        var record = $$$"""{"time":"2019-03-12T16:02:15.5522137Z","resourceId":"/tenants/{{{Tenant}}}/providers/Microsoft.aadiam","operationName":"Add member to role completed (PIM activation)","operationVersion":"1.0","category":"AuditLogs","tenantId":"{{{Tenant}}}","resultSignature":"None","durationMs":0,"callerIpAddress":"<null>","correlationId":"ef69d8e4-d8d2-48e5-9e53-2e4a0fa3e5c8","identity":"MS-PIM","level":"Informational","properties":{"id":"Directory_ef69d8e4","category":"RoleManagement","correlationId":"ef69d8e4-d8d2-48e5-9e53-2e4a0fa3e5c8","result":0,"resultReason":"","activityDisplayName":"Add member to role completed (PIM activation)","activityDateTime":"2019-03-12T16:02:15.5522137+00:00","loggedByService":"Core Directory","operationType":"Assign","initiatedBy":{},"targetResources":[],"additionalDetails":[]}}""";

        var audit = Assert.Single(await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(record)), "audit.json"));

        Assert.Equal(EventOutcome.Success, audit.Outcome);
        Assert.Null(audit.SourceIp);
        Assert.Equal("MS-PIM", audit.Actor.Uid);
        Assert.Equal(Tenant, audit.Account);
    }

    [Theory]
    // What the sign-in required is not what happened: a failure under a multi-factor requirement says nothing of MFA.
    [InlineData("0", "multiFactorAuthentication", true)]
    [InlineData("50126", "multiFactorAuthentication", null)]
    [InlineData("50126", "singleFactorAuthentication", false)]
    [InlineData("0", "singleFactorAuthentication", false)]
    // mfaDetail names the method asked for: after a success it was passed; after 500121 ("Authentication failed during
    // strong authentication request", the prompt denied) it was not, and the sign-in read as MFA used.
    [InlineData("0", "multiFactorAuthentication", true, true)]
    [InlineData("500121", "multiFactorAuthentication", null, true)]
    public async Task SignInMfa_IsUsedOnlyWhenASignInSucceededUnderAMultiFactorRequirement(string errorCode, string requirement, bool? used, bool withDetail = false)
    {
        var detail = withDetail ? ""","mfaDetail":{"authMethod":"Mobile app notification","authDetail":"MFA denied; user declined the authentication"}""" : "";
        var line = $$"""{"id":"s1","createdDateTime":"2026-03-06T07:00:00Z","userPrincipalName":"erin@contoso.example","appId":"app-1","ipAddress":"198.51.100.9","status":{"errorCode":{{errorCode}}},"authenticationRequirement":"{{requirement}}"{{detail}}}""";

        var signIn = Assert.Single(await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line)), "s.json"));

        Assert.Equal(used, signIn.Actor.MfaUsed);
    }

    [Theory]
    // A service principal or managed identity is named by its object id (servicePrincipalId), as the audit log and Azure
    // Activity name it; servicePrincipalName is its display name, and was taken for its id.
    [InlineData("servicePrincipal", "ServicePrincipal", "sp-9")]
    [InlineData("managedIdentity", "ManagedIdentity", "sp-9")]
    [InlineData("interactiveUser", "User", "erin@contoso.example")]
    public async Task GraphSignIns_AreTypedBySignInEventTypes(string kind, string type, string uid)
    {
        var upn = type == "User" ? "\"userPrincipalName\":\"erin@contoso.example\"," : "";
        var line = $$"""{"id":"s2","createdDateTime":"2026-03-06T07:00:00Z",{{upn}}"appId":"app-9","servicePrincipalId":"sp-9","servicePrincipalName":"ci-deployer","ipAddress":"198.51.100.9","status":{"errorCode":0},"signInEventTypes":["{{kind}}"]}""";

        var signIn = Assert.Single(await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line)), "s.json"));

        Assert.Equal((type, uid, "app-9"), (signIn.Actor.Type, signIn.Actor.Uid, signIn.Actor.AppUid));
        if (type != "User") Assert.Equal("ci-deployer", signIn.Actor.Name);
    }

    [Fact]
    public async Task ActivityLog_AManagedIdentity_IsNamedByItsResource_AndKeyedByItsObjectId()
    {
        const string Claims = """{"http://schemas.microsoft.com/identity/claims/objectidentifier":"0f0e0d0c-0b0a-4909-8807-060504030201","appid":"5d4c3b2a-1908-4776-a655-443322110099","xms_mirid":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourcegroups/prod-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-identity","roles":"Contributor"}""";

        var e = await ReadOne(MonitorExportRecord(Claims));

        Assert.Equal(("ServicePrincipal", "0f0e0d0c-0b0a-4909-8807-060504030201", "backup-identity"), (e.Actor.Type, e.Actor.Uid, e.Actor.Name));
    }

    [Fact]
    public async Task AuditLogs_DiagnosticExport_MapInitiatorAndTargets()
    {
        var reader = new CloudLogReader();

        var audit = Assert.Single(await reader.ReadAllAsync(TestData.Fixture("entra-audit-diagnostic.json")));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(new LogSource("azure", "auditlogs"), audit.LogSource);
        Assert.Equal("Add member to role", audit.Operation);
        Assert.Equal("Core Directory", audit.Service);
        Assert.Equal("carol@contoso.example", audit.Actor.Uid);
        Assert.Equal("198.51.100.61", audit.SourceIp);
        Assert.Contains("Chrome", audit.UserAgent);
        Assert.Equal(Tenant, audit.Account);
        Assert.Equal(EventOutcome.Success, audit.Outcome);
        Assert.Equal(new EventResource("User", "44dd55ee-66ff-7700-8899-110022334455", "mallory@contoso.example"), audit.Resources.Single());
    }

    [Fact]
    public async Task AuditLogs_Graph_MapAppInitiatorAndFailure()
    {
        var audit = Assert.Single(await new CloudLogReader().ReadAllAsync(TestData.Fixture("entra-audit-graph.json")));

        Assert.Equal("Add service principal credentials", audit.Operation);
        Assert.Equal("ServicePrincipal", audit.Actor.Type);
        Assert.Equal("legacy-sync", audit.Actor.Name);
        Assert.Equal(("e6f70819-2a3b-4c4d-95e6-f708192a3b4c", "d5e6f708-192a-4b3c-84d5-e6f708192a3b"), (audit.Actor.Uid, audit.Actor.AppUid));
        Assert.Equal(EventOutcome.Failure, audit.Outcome);
        Assert.Contains("AuthorizationException", audit.ErrorMessage);
    }

    [Fact]
    public async Task SignInLogs_SavedByGraphPowerShell_AreReadAsGraphsOwn()
    {
        // Get-MgAuditLogSignIn | ConvertTo-Json names every field in PascalCase, nested ones too: no shape was recognised,
        // and each sign-in was reported as a record of no known format.
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("entra-signin-graph-powershell.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal(new LogSource("azure", "signinlogs"), e.LogSource);
            Assert.Equal("User", e.Actor.Type);
            Assert.Equal("erin@contoso.example", e.Actor.Uid);
            Assert.Equal("Erin Park", e.Actor.Name);
            Assert.Equal("203.0.113.66", e.SourceIp);
            Assert.Equal("Windows Azure Service Management API", e.Service);
            Assert.Equal(new EventResource("Application", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"), e.Resources.Single());
        });
        Assert.Equal([new DateTimeOffset(2026, 3, 6, 7, 10, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 6, 7, 12, 0, TimeSpan.Zero)], events.Select(e => e.Time));
        Assert.Equal(["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"], events.Select(e => e.EventId));
        Assert.Equal((EventOutcome.Failure, "50126"), (events[0].Outcome, events[0].ErrorCode));
        Assert.Contains("invalid username or password", events[0].ErrorMessage);
        Assert.Null(events[0].Actor.MfaUsed);
        Assert.Equal(EventOutcome.Success, events[1].Outcome);
        Assert.True(events[1].Actor.MfaUsed);

        // The rule written for the diagnostic export matches the failed sign-in here too.
        var rules = SigmaTestRules.Detection("    sel: {properties.status.errorCode: 50126}\n    condition: sel", logsource: "product: azure\n    service: signinlogs");
        Assert.Equal([true, false], events.Select(e => rules.Match(e).Any()));
    }

    [Fact]
    public async Task AuditLogs_SavedByWindowsPowerShell_AreReadWithTheirInitiatorTargetsAndTime()
    {
        // Get-MgAuditLogDirectoryAudit | ConvertTo-Json | Out-File in Windows PowerShell: UTF-16 with a mark, PascalCase at
        // every level, times as \/Date(ms)\/, objects below the second level written as their type's name. The record was
        // taken for a Log Analytics row and its initiator, targets and user agent were lost: their names were looked up
        // in camelCase only.
        var text = await File.ReadAllTextAsync(TestData.Fixture("entra-audit-graph-powershell.json"), TestContext.Current.CancellationToken);
        var saved = System.Text.Encoding.Unicode.GetPreamble().Concat(System.Text.Encoding.Unicode.GetBytes(text)).ToArray();
        var reader = new CloudLogReader();

        var audit = Assert.Single(await reader.ReadAllAsync(new MemoryStream(saved), "directory-audits.json"));

        // Read as UTF-16, and kept though below the second level only type names are left, each said.
        Assert.Equal(2, reader.Summary.Problems.Count);
        Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Warning, p.Severity));
        Assert.Contains(reader.Summary.Problems, p => p.Reason.Contains("UTF-16", StringComparison.Ordinal));
        Assert.Contains(reader.Summary.Problems, p => p.Line == 2 && p.Reason.Contains("save the log again with -Depth 10", StringComparison.Ordinal));
        Assert.Equal(new LogSource("azure", "auditlogs"), audit.LogSource);
        Assert.Equal(new DateTimeOffset(2026, 3, 6, 8, 0, 0, TimeSpan.Zero), audit.Time);
        Assert.Equal("Add member to role", audit.Operation);
        Assert.Equal("Core Directory", audit.Service);
        Assert.Equal(("User", "erin@contoso.example", "erin@contoso.example"), (audit.Actor.Type, audit.Actor.Uid, audit.Actor.Name));
        Assert.Equal("203.0.113.66", audit.SourceIp);
        Assert.Contains("Chrome/122", audit.UserAgent);
        Assert.Equal(EventOutcome.Success, audit.Outcome);
        Assert.Equal(new EventResource("User", "44dd55ee-66ff-7700-8899-110022334455", "mallory@contoso.example"), audit.Resources.Single());
    }

    [Fact]
    public async Task ADepthCutExport_IsWarnedOfOncePerFile_AndNeitherAMentionOfAModelNorAnEmptyDictionaryWarns()
    {
        // Said once per record, 1,001 records of one such file filled the summary's list and another file's errors went
        // unlisted; and a diagnostic export's user agent naming a Graph model was taken for a cut record.
        var audit = await File.ReadAllTextAsync(TestData.Fixture("entra-audit-graph-powershell.json"), TestContext.Current.CancellationToken);
        var one = audit.Trim().TrimStart('[').TrimEnd(']');
        var many = "[" + string.Join(",", Enumerable.Repeat(one, 1001)) + "]";
        var diagnostic = (await File.ReadAllTextAsync(TestData.Fixture("entra-signin-diagnostic.json"), TestContext.Current.CancellationToken))
            .Replace("\"userAgent\":\"", "\"userAgent\":\"Microsoft.Graph.PowerShell.Models.Client ", StringComparison.Ordinal);
        Assert.Contains("Microsoft.Graph.PowerShell.Models.Client", diagnostic);
        var reader = new CloudLogReader();
        var inputs = new Firebreak.Detection.Readers.Sources.LogInputList(
        [
            new("directory-audits.json", _ => Task.FromResult<Stream>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(many)))),
            new("diagnostic.json", _ => Task.FromResult<Stream>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(diagnostic)))),
            new("broken.jsonl", _ => Task.FromResult<Stream>(new MemoryStream("{\"eventVersion\":}\n"u8.ToArray()))),
        ]);

        var events = 0;
        await foreach (var _ in reader.ReadAsync(inputs, TestContext.Current.CancellationToken))
        {
            events++;
        }

        Assert.Equal(1003, events);
        Assert.Equal(1, reader.Summary.Warnings);
        Assert.Equal(("directory-audits.json", 2L), Assert.Single(reader.Summary.Problems, p => p.Severity == ProblemSeverity.Warning) is var w ? (w.Source, w.Line) : default);
        Assert.Contains(reader.Summary.Problems, p => p.Source == "broken.jsonl");
    }

    [Fact]
    public async Task AuditTargets_AreKnownByIdThenUpn_AndAnAppInitiatorWithNoIdByTheEnvelopesIdentity()
    {
        // Reading nested names in any case must not change what other shapes give: a target without an id is its UPN, an
        // app initiator with neither id nor display name is the envelope's identity.
        const string Record = """{"records":[{"time":"2026-03-06T08:00:00Z","operationName":"Update user","category":"AuditLogs","identity":"Contoso Sync","properties":{"activityDisplayName":"Update user","activityDateTime":"2026-03-06T08:00:00Z","loggedByService":"Core Directory","result":"success","initiatedBy":{"app":{"servicePrincipalName":"Contoso Sync"}},"targetResources":[{"id":null,"displayName":"Mallory Diaz","type":"User","userPrincipalName":"mallory@contoso.example"}]}}]}""";

        var audit = Assert.Single(await new CloudLogReader().ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Record)), "audit.json"));

        Assert.Equal(new EventResource("User", "mallory@contoso.example", "Mallory Diaz"), audit.Resources.Single());
        Assert.Equal("Contoso Sync", audit.Actor.Uid);
    }

    [Theory]
    [InlineData("/Date(1772784000000)/", "2026-03-06T08:00:00+00:00")]
    [InlineData("/Date(1772784000000+0100)/", "2026-03-06T08:00:00+00:00")]
    [InlineData("/Date(-1000)/", "1969-12-31T23:59:59+00:00")]
    [InlineData("/Date(99999999999999999)/", null)]
    [InlineData("/Date(12x)/", null)]
    [InlineData("/Date(1772784000000", null)]
    public void WindowsPowerShellDates_AreMillisecondsSince1970(string written, string? expected)
    {
        using var document = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(written));

        var time = ((System.Text.Json.JsonElement?)document.RootElement).Time();

        Assert.Equal(expected, time?.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AuditLogs_PublicLogAnalyticsSample_IsRead()
    {
        var path = TestData.SharedData("azure/otrf-aad-audit/AADAuditEvents.json");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(0, reader.Summary.Errors);
        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal("auditlogs", e.LogSource.Service));
        Assert.Contains(events, e => e.Actor.Uid == "pgustavo@simulandlabs.com");
        Assert.Contains(events, e => e.Resources.Any(r => r.Name == "SimuLandApp"));
    }

    [Fact]
    public async Task ActivityLog_PublicRestShapeSamples_AreRead()
    {
        var pretty = TestData.SharedData("cloudgrappler-samples/azure.json");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(pretty, TestData.SharedData("cloudgrappler-samples/azure_singleline.json"));

        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("Microsoft.Storage/storageAccounts/listKeys/action", e.Operation);
            Assert.Equal("test@email", e.Actor.Uid);
            Assert.Equal("11.11.11.10", e.SourceIp);
            Assert.Equal(EventOutcome.Success, e.Outcome);
            Assert.Equal("21371283ghjgfsdb9876123", e.EventId);
        });
    }

    public static TheoryData<string, LogFormat> RecordsOfEachAzureAndEntraShape => new()
    {
        { "azure-activity-monitor-export.json", LogFormat.AzureActivity },
        { "azure-activity-rest.json", LogFormat.AzureActivity },
        { "azure-activity-log-analytics.json", LogFormat.AzureActivity },
        { "entra-signin-diagnostic.json", LogFormat.EntraSignIn },
        { "entra-signin-graph.json", LogFormat.EntraSignIn },
        { "entra-signin-graph-powershell.json", LogFormat.EntraSignIn },
        { "entra-signin-log-analytics.jsonl", LogFormat.EntraSignIn },
        { "entra-audit-diagnostic.json", LogFormat.EntraAudit },
        { "entra-audit-graph.json", LogFormat.EntraAudit },
        { "entra-audit-graph-powershell.json", LogFormat.EntraAudit },
    };

    [Theory]
    [MemberData(nameof(RecordsOfEachAzureAndEntraShape))]
    public async Task ForcedFormat_ReadsEveryShapeOfItsOwnLog_AsDetectionDoes(string fixture, LogFormat format)
    {
        var detected = new CloudLogReader();
        var forced = new CloudLogReader(new ReaderOptions { Format = format });

        var expected = await detected.ReadAllAsync(TestData.Fixture(fixture));
        var events = await forced.ReadAllAsync(TestData.Fixture(fixture));

        Assert.NotEmpty(events);
        Assert.Equal(expected.Select(e => (e.EventId, e.Time, e.Operation)), events.Select(e => (e.EventId, e.Time, e.Operation)));
        Assert.Equal(detected.Summary.Problems.Select(p => p.Reason), forced.Summary.Problems.Select(p => p.Reason));
    }

    [Theory]
    [MemberData(nameof(RecordsOfEachAzureAndEntraShape))]
    public async Task ForcedFormat_ReportsEveryRecordOfAnotherAzureOrEntraLog_NotACleanRead(string fixture, LogFormat format)
    {
        // An Entra audit log read as sign-ins (or an Activity Log as either) gave an event per record and no problem: the
        // Entra mappers find a time and an operation name in each other's records and in the Activity Log's.
        var records = (await new CloudLogReader().ReadAllAsync(TestData.Fixture(fixture))).Count;
        foreach (var other in new[] { LogFormat.AzureActivity, LogFormat.EntraSignIn, LogFormat.EntraAudit }.Where(f => f != format))
        {
            var reader = new CloudLogReader(new ReaderOptions { Format = other });

            var events = await reader.ReadAllAsync(TestData.Fixture(fixture));

            Assert.True(events.Count == 0, $"{fixture} read as {other}: {events.Count} event(s)");
            Assert.Equal(records, reader.Summary.Errors);
            Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Error, p.Severity));
        }
    }

    [Theory]
    [InlineData(LogFormat.EntraSignIn, "not an Entra ID sign-in record (the format given) but an Entra ID audit record")]
    [InlineData(LogFormat.AzureActivity, "Azure Activity record has no operation name")]
    public async Task ForcedFormat_OverThePublicAuditLogSample_ReportsEachRecord(LogFormat format, string reason)
    {
        var path = TestData.SharedData("azure/otrf-aad-audit/AADAuditEvents.json");
        var reader = new CloudLogReader(new ReaderOptions { Format = format });

        var events = await reader.ReadAllAsync(path);

        Assert.Empty(events);
        Assert.Equal(4, reader.Summary.Errors);
        Assert.All(reader.Summary.Problems, p => Assert.Equal(reason, p.Reason));
        Assert.Equal(new long?[] { 1, 2, 3, 4 }, reader.Summary.Problems.Select(p => p.Line));
    }

    [Theory]
    [InlineData("azure-activity-monitor-export.json", LogFormat.EntraSignIn, "not an Entra ID sign-in record (the format given) but an Azure Activity record")]
    [InlineData("azure-activity-monitor-export.json", LogFormat.EntraAudit, "not an Entra ID audit record (the format given) but an Azure Activity record")]
    [InlineData("azure-activity-log-analytics.json", LogFormat.EntraSignIn, "not an Entra ID sign-in record (the format given) but an Azure Activity record")]
    [InlineData("entra-signin-diagnostic.json", LogFormat.EntraAudit, "not an Entra ID audit record (the format given) but an Entra ID sign-in record")]
    [InlineData("entra-signin-log-analytics.jsonl", LogFormat.EntraAudit, "not an Entra ID audit record (the format given) but an Entra ID sign-in record")]
    [InlineData("entra-audit-diagnostic.json", LogFormat.EntraSignIn, "not an Entra ID sign-in record (the format given) but an Entra ID audit record")]
    public async Task ForcedFormat_NamesTheFormatARecordOfAnotherLogHas(string fixture, LogFormat format, string reason)
    {
        var reader = new CloudLogReader(new ReaderOptions { Format = format });

        Assert.Empty(await reader.ReadAllAsync(TestData.Fixture(fixture)));

        Assert.NotEmpty(reader.Summary.Problems);
        Assert.All(reader.Summary.Problems, p => Assert.Equal(reason, p.Reason));
    }
}
