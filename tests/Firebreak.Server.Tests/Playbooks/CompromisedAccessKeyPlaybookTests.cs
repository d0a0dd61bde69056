using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;
using Firebreak.Testing.Aws;

namespace Firebreak.Server.Tests.Playbooks;

/// <summary>
/// The built-in compromised-access-key playbook driven over HTTP like responders would, its action steps going
/// through the response actions and the real AWS client stack to a local endpoint answering IAM's and STS's
/// documented responses, with an account whose base key is configured only in Data Protection's protected form.
/// </summary>
public sealed class CompromisedAccessKeyPlaybookTests
{
    private const string Account = "123456789012";
    private const string Key = "AKIAI44QH8DHBEXAMPLE";
    private const string User = "ci-deploy";
    private const string PlaybookName = "Compromised AWS access key";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static string GetLoginProfile(string user) =>
        $"""<GetLoginProfileResponse xmlns="{Xml.IamNs}"><GetLoginProfileResult><LoginProfile><UserName>{user}</UserName><CreateDate>2025-02-03T10:00:00Z</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile></GetLoginProfileResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetLoginProfileResponse>""";

    private static async Task<JsonElement> WaitForRunAsync(HttpClient client, string incident, string run, string what, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var view = await (await client.GetAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}")).JsonAsync();
            if (done(view)) return view;
            Assert.True(DateTime.UtcNow < deadline, $"the run did not get to: {what}: {view}");
            await Task.Delay(100);
        }
    }

    private static JsonElement Step(JsonElement run, string step) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == step);

    private static string StepState(JsonElement run, string step) => Step(run, step).GetProperty("state").GetString()!;

    private static async Task<TestServer> StartServerAsync(DatabaseKind kind, FakeAws aws)
    {
        var database = await TestDatabase.CreateAsync(kind);
        var settings = await FakeAwsAccount.SettingsAsync(aws, Account, database.DataDirectory);
        settings["Firebreak:Playbooks:PollSeconds"] = "0.2";
        return await TestServer.StartAsync(database, settings);
    }

    private static async Task<(string Incident, string Run)> StartRunAsync(HttpClient responder)
    {
        var incident = (await responder.CreateIncidentAsync(new { title = "CI key used from an unknown ASN" })).GetProperty("reference").GetString()!;
        var started = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", new
        {
            playbook = "compromised-access-key",
            inputs = new Dictionary<string, string> { ["account"] = Account, ["region"] = "eu-west-1", ["accessKey"] = Key, ["userName"] = User },
            criticality = "high",
            choice = "contain-accept-downtime",
            choiceReason = "CI can run on the rotated key",
        });
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        return (incident, (await started.JsonAsync()).GetProperty("id").GetString()!);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BuiltIn_CutsTheKeyAndPassword_ThroughIam_WithTheAssumedRole_ApprovedByASecondPerson_ToTheEnd(DatabaseKind kind)
    {
        await using var aws = await FakeAws.StartAsync();
        aws.On("AssumeRole", Xml.AssumeRole())
            .On("UpdateAccessKey", Xml.Iam("UpdateAccessKey"))
            .On("ListAccessKeys", Xml.ListAccessKeys(User, Key, "Inactive"))
            // The plan reads the profile; after the delete, the verification finds none.
            .On("GetLoginProfile", (200, GetLoginProfile(User)), (404, Xml.QueryError(Xml.IamNs, "NoSuchEntity", $"Login Profile for User {User} cannot be found.")))
            .On("DeleteLoginProfile", Xml.Iam("DeleteLoginProfile"));
        await using var server = await StartServerAsync(kind, aws);
        var acme = await server.CreateTenantAsync("Acme");
        var responder = acme.Client(Role.Responder);
        var manager = acme.Client(Role.IncidentManager);
        var (incident, run) = await StartRunAsync(responder);

        // The key's deactivation is high impact: planned (IAM untouched), then it waits for a second person.
        await WaitForRunAsync(responder, incident, run, "deactivate-key waiting", r => StepState(r, "deactivate-key") == "waiting-approval");
        Assert.Empty(aws.Calls("UpdateAccessKey"));
        var self = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/deactivate-key/approve", new { comment = "me" });
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Empty(aws.Calls("UpdateAccessKey"));
        var approved = await manager.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/deactivate-key/approve", new { comment = "key is in a public repo" });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());

        // Then the parallel branches: the password deletion waits for approval while the checklist is open.
        await WaitForRunAsync(responder, incident, run, "delete-login-profile waiting and review-other-keys running",
            r => StepState(r, "delete-login-profile") == "waiting-approval" && StepState(r, "review-other-keys") == "running");
        Assert.Equal("succeeded", StepState(await WaitForRunAsync(responder, incident, run, "deactivate-key done", r => StepState(r, "deactivate-key") == "succeeded"), "deactivate-key"));
        Assert.Empty(aws.Calls("DeleteLoginProfile"));
        var ticked = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/review-other-keys/complete", new { items = new[] { 0, 1, 2 } });
        Assert.True(ticked.StatusCode == HttpStatusCode.OK, await ticked.Content.ReadAsStringAsync());
        approved = await acme.Client(Role.Admin).PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/delete-login-profile/approve", new { comment = "console access too" });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());

        // denyAll defaults to false: the condition skips the deny-all policy; the review checklist and the sign-off close the run.
        await WaitForRunAsync(responder, incident, run, "review-use running", r => StepState(r, "review-use") == "running");
        ticked = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/review-use/complete", new { items = new[] { 0, 1, 2 } });
        Assert.True(ticked.StatusCode == HttpStatusCode.OK, await ticked.Content.ReadAsStringAsync());
        await WaitForRunAsync(responder, incident, run, "sign-off waiting", r => StepState(r, "sign-off") == "waiting-approval");
        Assert.Equal(HttpStatusCode.Forbidden, (await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/sign-off/approve", new { })).StatusCode);
        approved = await manager.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/sign-off/approve", new { comment = "owner told, CI has a new key" });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        var finished = await WaitForRunAsync(responder, incident, run, "the end", r => r.GetProperty("status").GetString() != "running");

        Assert.True(finished.GetProperty("status").GetString() == "succeeded", finished.ToString());
        var states = finished.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("state").GetString());
        Assert.Equal("succeeded", states["deactivate-key"]);
        Assert.Equal("succeeded", states["cut-other-access"]);
        Assert.Equal("succeeded", states["delete-login-profile"]);
        Assert.Equal("done", states["review-other-keys"]);
        Assert.Equal("succeeded", states["deny-all-choice"]);
        Assert.Equal("skipped", states["deny-all"]);
        Assert.Equal("done", states["review-use"]);
        Assert.Equal("succeeded", states["sign-off"]);
        Assert.Equal($"aws-deactivate-access-key on {Key}: succeeded, verified", Step(finished, "deactivate-key").GetProperty("result").GetString());
        Assert.Equal($"aws-delete-login-profile on {User}: succeeded, verified", Step(finished, "delete-login-profile").GetProperty("result").GetString());

        // What IAM received: the key set Inactive and the password deleted, each once, signed with the assumed role's
        // session (the base key only signs AssumeRole), in the region the run was given.
        var update = Assert.Single(aws.Calls("UpdateAccessKey"));
        Assert.Equal((Key, "Inactive", User), (update["AccessKeyId"], update["Status"], update["UserName"]));
        Assert.Equal("2010-05-08", update["Version"]);
        Assert.Equal(User, Assert.Single(aws.Calls("DeleteLoginProfile"))["UserName"]);
        Assert.Equal(User, Assert.Single(aws.Calls("ListAccessKeys"))["UserName"]);
        Assert.Equal(2, aws.Calls("GetLoginProfile").Count());
        foreach (var call in aws.Requests.Where(r => r.Action != "AssumeRole"))
        {
            Assert.Matches("^AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/\\d{8}/[a-z0-9-]+/iam/aws4_request", call.Headers["Authorization"]);
            Assert.Equal("IQoJb3JpZ2luX2VjEXAMPLETOKEN", call.Headers["X-Amz-Security-Token"]);
        }
        var assume = aws.Calls("AssumeRole").First();
        Assert.Contains($"Credential={FakeAwsAccount.AccessKeyId}/", assume.Headers["Authorization"]);
        Assert.Equal((string.Format(System.Globalization.CultureInfo.InvariantCulture, FakeAwsAccount.RoleArnFormat, Account), FakeAwsAccount.ExternalId), (assume["RoleArn"], assume["ExternalId"]));
        Assert.DoesNotContain(aws.Requests, r => r.Form.Values.Concat(r.Headers.Values).Append(r.Body).Any(v => v.Contains(FakeAwsAccount.BaseSecret, StringComparison.Ordinal)));

        // The response actions: planned by the starter, approved by the second person, run and verified against IAM.
        var actions = await (await responder.GetAsync($"/api/v1/incidents/{incident}/actions")).JsonAsync();
        var byAction = actions.EnumerateArray().ToDictionary(a => a.GetProperty("action").GetString()!);
        Assert.Equal(2, byAction.Count);
        var deactivate = byAction["aws-deactivate-access-key"];
        Assert.Equal((Account, "eu-west-1", Key, "succeeded", true), (deactivate.GetProperty("account").GetString(), deactivate.GetProperty("region").GetString(),
            deactivate.GetProperty("resource").GetString(), deactivate.GetProperty("status").GetString(), deactivate.GetProperty("verified").GetBoolean()));
        Assert.Equal(User, deactivate.GetProperty("inputs").GetProperty("userName").GetString());
        Assert.Equal("api-key:responder key", deactivate.GetProperty("requestedBy").GetString());
        Assert.Equal("api-key:incident-manager key", deactivate.GetProperty("approvedBy").GetString());
        Assert.Equal("key is in a public repo", deactivate.GetProperty("approvalComment").GetString());
        Assert.EndsWith($"(playbook run {run}, step deactivate-key)", deactivate.GetProperty("reason").GetString());
        var check = Assert.Single(deactivate.GetProperty("verification").EnumerateArray());
        Assert.Equal(($"{Key} status", "Inactive", "Inactive", true), (check.GetProperty("what").GetString(), check.GetProperty("expected").GetString(), check.GetProperty("actual").GetString(), check.GetProperty("ok").GetBoolean()));
        Assert.Equal("Active", deactivate.GetProperty("undoData").GetProperty("status").GetString());
        var delete = byAction["aws-delete-login-profile"];
        Assert.Equal((User, "succeeded", true, "api-key:admin key"), (delete.GetProperty("resource").GetString(), delete.GetProperty("status").GetString(),
            delete.GetProperty("verified").GetBoolean(), delete.GetProperty("approvedBy").GetString()));
        var absent = Assert.Single(delete.GetProperty("verification").EnumerateArray());
        Assert.Equal(("absent", "absent"), (absent.GetProperty("expected").GetString(), absent.GetProperty("actual").GetString()));

        // The timeline tells the story step by step, with the actions' own entries.
        var timeline = await (await responder.GetAsync($"/api/v1/incidents/{incident}/timeline?pageSize=100")).JsonAsync();
        var titles = timeline.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        string[] expected =
        [
            $"Playbook '{PlaybookName}' started",
            $"Playbook '{PlaybookName}': step 'Deactivate the access key' succeeded",
            $"Playbook '{PlaybookName}': step 'Delete the console password' succeeded",
            $"Playbook '{PlaybookName}': step 'Review the user's other credentials' done",
            $"Playbook '{PlaybookName}': step 'Cut the user's other ways in' succeeded",
            $"Playbook '{PlaybookName}': step 'Deny everything to the user?' succeeded",
            $"Playbook '{PlaybookName}': step 'Review what the key did' done",
            $"Playbook '{PlaybookName}': step 'A second person confirms the key stays off' approved",
            $"Playbook '{PlaybookName}' succeeded",
            $"Deactivate an access key on {Key}: succeeded",
            $"Delete the login profile on {User}: succeeded",
        ];
        foreach (var title in expected) Assert.True(titles.Contains(title), $"no timeline entry '{title}' in:\n{string.Join("\n", titles)}");
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BuiltIn_WhenIamStillShowsTheKeyActive_FailsTheStep_AndStopsBeforeTheRest(DatabaseKind kind)
    {
        await using var aws = await FakeAws.StartAsync();
        aws.On("AssumeRole", Xml.AssumeRole())
            .On("UpdateAccessKey", Xml.Iam("UpdateAccessKey"))
            // The call was accepted, but the re-read shows the key still active.
            .On("ListAccessKeys", Xml.ListAccessKeys(User, Key, "Active"));
        await using var server = await StartServerAsync(kind, aws);
        var acme = await server.CreateTenantAsync("Acme");
        var responder = acme.Client(Role.Responder);
        var (incident, run) = await StartRunAsync(responder);
        await WaitForRunAsync(responder, incident, run, "deactivate-key waiting", r => StepState(r, "deactivate-key") == "waiting-approval");

        var approved = await acme.Client(Role.IncidentManager).PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/deactivate-key/approve", new { });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        var finished = await WaitForRunAsync(responder, incident, run, "the end", r => r.GetProperty("status").GetString() != "running");

        Assert.Equal("failed", finished.GetProperty("status").GetString());
        Assert.Equal("failed", StepState(finished, "deactivate-key"));
        Assert.Equal($"aws-deactivate-access-key on {Key}: succeeded, verification failed", Step(finished, "deactivate-key").GetProperty("result").GetString());
        foreach (var step in new[] { "cut-other-access", "delete-login-profile", "review-other-keys", "deny-all-choice", "deny-all", "review-use", "sign-off" })
            Assert.Equal("skipped", StepState(finished, step));
        Assert.Single(aws.Calls("UpdateAccessKey"));
        Assert.Empty(aws.Calls("GetLoginProfile"));
        Assert.Empty(aws.Calls("DeleteLoginProfile"));
        var action = Assert.Single((await (await responder.GetAsync($"/api/v1/incidents/{incident}/actions")).JsonAsync()).EnumerateArray());
        Assert.False(action.GetProperty("verified").GetBoolean());
        Assert.Equal(($"{Key} status", "Active"), (action.GetProperty("verification")[0].GetProperty("what").GetString(), action.GetProperty("verification")[0].GetProperty("actual").GetString()));
        var titles = (await (await responder.GetAsync($"/api/v1/incidents/{incident}/timeline?pageSize=100")).JsonAsync())
            .GetProperty("items").EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Contains($"Playbook '{PlaybookName}': step 'Deactivate the access key' failed: aws-deactivate-access-key on {Key}: succeeded, verification failed", titles);
    }
}
