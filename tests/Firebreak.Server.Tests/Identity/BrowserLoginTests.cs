using System.Net;
using System.Text.RegularExpressions;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Identity;

public partial class BrowserLoginTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Login_SetsACookie_ThatTheApiAccepts()
    {
        var (client, response) = await LoginAsync("responder@acme.example", "correct-horse-battery-staple", "/incidents/INC-2026-0001");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/incidents/INC-2026-0001", response.Headers.Location!.OriginalString);
        var me = await (await client.GetAsync("/api/v1/me")).JsonAsync();
        Assert.Equal("responder@acme.example", me.GetProperty("name").GetString());
        Assert.Equal("responder", me.GetProperty("role").GetString());
    }

    [Theory]
    [InlineData("responder@acme.example", "wrong-password-entirely", "error=failed")]
    [InlineData("nobody@acme.example", "correct-horse-battery-staple", "error=failed")]
    [InlineData("", "", "error=missing")]
    public async Task Login_Refuses_WithAGenericMessage(string email, string password, string error)
    {
        var (client, response) = await LoginAsync(email, password, "/incidents");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login?" + error, response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Login_NeverRedirectsOffSite()
    {
        var (_, response) = await LoginAsync("viewer@acme.example", "correct-horse-battery-staple", "//evil.example/phish");
        Assert.Equal("/incidents", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRefused()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.Address };
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "viewer@acme.example",
            ["password"] = "correct-horse-battery-staple",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Pages_RedirectToLogin_WhenSignedOut()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.Address };
        var response = await client.GetAsync("/incidents");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("/incidents/INC-1999-9999", "Incident not found")]
    [InlineData("/alerts/not-an-id", "Alert not found")]
    public async Task Pages_AnswerNotFound_WithTheirMessage_ForAMissingRecord(string path, string message)
    {
        var (client, _) = await LoginAsync("viewer@acme.example", "correct-horse-battery-staple", "/incidents");

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<(HttpClient Client, HttpResponseMessage Response)> LoginAsync(string email, string password, string returnUrl)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = fixture.Server.Address };
        var page = await client.GetStringAsync("/login");
        var token = TokenPattern().Match(page).Groups[1].Value;
        Assert.NotEmpty(token);
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = token,
        }));
        return (client, response);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
