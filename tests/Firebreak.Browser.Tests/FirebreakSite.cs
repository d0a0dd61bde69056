using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Server.Hosting;
using Firebreak.Testing.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Firebreak.Browser.Tests.FirebreakSite))]

namespace Firebreak.Browser.Tests;

public sealed record TestUser(Guid Id, Guid TenantId, string Email, string DisplayName, string Password, Role Role);

/// <summary>
/// The real server on Kestrel with a fresh SQLite database, and one headless Chromium shared by every
/// test. Each test gets its own browser context (cookies) and creates the users and incidents it needs,
/// so tests never depend on one another. The server acts in one AWS account, <see cref="AwsAccount"/>, through a
/// local endpoint answering recorded AWS responses (<see cref="Aws"/>); other accounts are not configured.
/// </summary>
public sealed class FirebreakSite : IAsyncLifetime
{
    /// <summary>Debian's Chromium unless FIREBREAK_CHROMIUM names another build (never a downloaded one).</summary>
    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("FIREBREAK_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    private const string Password = "correct horse battery staple";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "firebreak-browser-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _browserUnavailable;

    public string BaseUrl { get; private set; } = "";
    public Guid TenantId { get; private set; }
    public string TenantSlug { get; } = "acme";
    public string OtherTenantSlug { get; } = "globex";

    /// <summary>The one AWS account the server may act in; its base key is stored in Data Protection's protected form.</summary>
    public const string AwsAccount = "210987654321";

    /// <summary>The recorded AWS endpoint. Only tests that act in <see cref="AwsAccount"/> queue responses on it.</summary>
    public FakeAws Aws { get; private set; } = null!;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dataDirectory);
        Aws = await FakeAws.StartAsync();
        Aws.On("AssumeRole", Xml.AssumeRole());
        var aws = await FakeAwsAccount.SettingsAsync(Aws, AwsAccount, _dataDirectory);
        _app = FirebreakApp.Build([], builder =>
        {
            builder.Configuration["Firebreak:DataDirectory"] = _dataDirectory;
            builder.Configuration.AddInMemoryCollection(aws);
            // Port 0: Kestrel picks a free port, read back below, so parallel runs never collide.
            builder.Configuration["urls"] = "http://127.0.0.1:0";
            // Every test signs in from 127.0.0.1; the per-address login budget is for real attackers.
            builder.Configuration["Firebreak:RateLimit:LoginsPerMinute"] = "100000";
            StaticAssets.Enable(builder);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await _app.MigrateDatabaseAsync();
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<AdminService>();
            var bootstrap = await admin.BootstrapAsync("Acme", "admin@acme.test");
            TenantId = bootstrap.TenantId;
            await admin.CreateTenantAsync("Globex");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        if (!File.Exists(ChromiumPath))
        {
            _browserUnavailable = $"Chromium is not installed at {ChromiumPath} (apt-get install -y chromium).";
            // CI must prove the UI works: a missing browser fails the run instead of skipping it.
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(_browserUnavailable);
            return;
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Aws is not null) await Aws.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; failing the run over it is not.
        }
    }

    /// <summary>A fresh browser context, signed out, with a page at the site's base address.</summary>
    public async Task<IPage> NewPageAsync()
    {
        if (_browser is null) Assert.Skip(_browserUnavailable ?? "The browser did not start.");
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        // Generous: on a two-core machine the other test projects run alongside and a round trip can stall
        // for seconds. A broken page still fails, only later.
        context.SetDefaultTimeout(45_000);
        Assertions.SetDefaultExpectTimeout(20_000);
        return await context.NewPageAsync();
    }

    public async Task<TestUser> CreateUserAsync(Role role, string? tenant = null, string? displayName = null)
    {
        var slug = tenant ?? TenantSlug;
        var name = displayName ?? $"{role} {Guid.NewGuid().ToString("N")[..6]}";
        var email = $"{role.Name()}-{Guid.NewGuid():N}@{slug}.test".ToLowerInvariant();
        await using var scope = _app!.Services.CreateAsyncScope();
        var (user, _) = await scope.ServiceProvider.GetRequiredService<AdminService>().CreateUserAsync(slug, email, name, role, Password);
        var tenantId = (await scope.ServiceProvider.GetRequiredService<AdminService>().ListTenantsAsync()).Single(t => t.Slug == slug).Id;
        return new TestUser(user.Id, tenantId, user.Email, user.DisplayName, Password, role);
    }

    /// <summary>An incident created directly through the use case, acting as <paramref name="actor"/>.</summary>
    public Task<IncidentDetails> CreateIncidentAsync(TestUser actor, CreateIncident command) =>
        ActAsync(actor, services => services.GetRequiredService<IncidentService>().CreateAsync(command));

    /// <summary>Runs use cases as <paramref name="actor"/>, to set the scene a test starts from.</summary>
    public async Task<T> ActAsync<T>(TestUser actor, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = _app!.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetUser(actor.TenantId, actor.Id, actor.Email, actor.Role);
        return await action(scope.ServiceProvider);
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>One part of a page, for a panel that is hard to see in a tall full-page picture.</summary>
    public static async Task ScreenshotAsync(ILocator part, string name) =>
        await part.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png") });
}
