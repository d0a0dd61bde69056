using Firebreak.Core.Identity;
using Firebreak.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>Operator commands against a fresh database per test; no server is needed.</summary>
public sealed class AdminCommandTests : IDisposable
{
    private readonly string _data = Cli.NewDataDirectory();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Cli.DeleteDataDirectory(_data);
    }

    private Task<CliResult> AdminAsync(params string[] args) => Cli.RunAsync([.. args, "--data-dir", _data]);

    [Fact]
    public async Task Bootstrap_PrintsAWorkingPasswordOnce_AndRefusesASecondTime()
    {
        var first = await AdminAsync("admin", "bootstrap", "--tenant", "Acme Corp", "--email", "root@acme.example");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Tenant:   Acme Corp", first.Out);
        Assert.Contains("Email:    root@acme.example", first.Out);
        var password = first.Printed("Password");
        Assert.True(password.Length >= 16, password);
        Assert.Equal(LoginOutcome.Succeeded, await SignInAsync("root@acme.example", password));

        var second = await AdminAsync("admin", "bootstrap", "--tenant", "Other", "--email", "other@acme.example");

        Assert.Equal(ExitCodes.Usage, second.ExitCode);
        Assert.Contains("already bootstrapped", second.Err);
        Assert.DoesNotContain("Password", second.Out);
        Assert.Equal(LoginOutcome.Failed, await SignInAsync("other@acme.example", password));
    }

    [Fact]
    public async Task Bootstrap_MigratesAFreshDatabaseFirst()
    {
        var result = await AdminAsync("admin", "bootstrap");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Email:    admin@firebreak.local", result.Out);
        Assert.True(File.Exists(Path.Combine(_data, "firebreak.db")));
    }

    [Fact]
    public async Task CreateUser_GeneratesAndPrintsAPassword_WhenNoneIsGiven()
    {
        await AdminAsync("admin", "bootstrap");

        var result = await AdminAsync("admin", "create-user", "--email", "ana@acme.example", "--name", "Ana Silva", "--role", "responder");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Created user ana@acme.example (Ana Silva, responder)", result.Out);
        Assert.Equal(LoginOutcome.Succeeded, await SignInAsync("ana@acme.example", result.Printed("Password")));
    }

    [Fact]
    public async Task CreateUser_WithAGivenPassword_DoesNotEchoIt()
    {
        await AdminAsync("admin", "bootstrap");

        var result = await AdminAsync("admin", "create-user", "--email", "lee@acme.example", "--name", "Lee", "--role", "viewer",
            "--password", "correct-horse-battery-staple");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("correct-horse-battery-staple", result.Out);
        Assert.Equal(LoginOutcome.Succeeded, await SignInAsync("lee@acme.example", "correct-horse-battery-staple"));
    }

    [Fact]
    public async Task CreateUser_RefusesADuplicateEmail_AndShowsFieldErrors()
    {
        await AdminAsync("admin", "bootstrap", "--email", "admin@acme.example");

        var duplicate = await AdminAsync("admin", "create-user", "--email", "admin@acme.example", "--name", "Again", "--role", "viewer");
        var invalid = await AdminAsync("admin", "create-user", "--email", "not-an-address", "--name", "X", "--role", "viewer");
        var badRole = await AdminAsync("admin", "create-user", "--email", "x@acme.example", "--name", "X", "--role", "root");

        Assert.Equal(ExitCodes.Refused, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Err);
        Assert.Equal(ExitCodes.Usage, invalid.ExitCode);
        Assert.Contains("  email: email is not a valid address.", invalid.Err);
        Assert.Equal(ExitCodes.Usage, badRole.ExitCode);
        Assert.Contains("'root'", badRole.Err);
    }

    [Fact]
    public async Task CreateUser_BeforeBootstrap_SaysToBootstrap()
    {
        var result = await AdminAsync("admin", "create-user", "--email", "a@acme.example", "--name", "A", "--role", "viewer");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Run 'firebreak admin bootstrap' first.", result.Err);
    }

    [Fact]
    public async Task CreateApiKey_PrintsTheKeyOnce_WithItsExpiry()
    {
        await AdminAsync("admin", "bootstrap");

        var result = await AdminAsync("admin", "create-api-key", "--name", "ci", "--role", "responder", "--expires", "2099-06-30");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("fbk_", result.Printed("Key"));
        Assert.Contains("expires 2099-06-30 00:00 UTC", result.Out);
    }

    [Fact]
    public async Task CreateApiKey_RejectsBadAndPastExpiry()
    {
        await AdminAsync("admin", "bootstrap");

        var garbage = await AdminAsync("admin", "create-api-key", "--name", "ci", "--role", "responder", "--expires", "next tuesday");
        var past = await AdminAsync("admin", "create-api-key", "--name", "ci", "--role", "responder", "--expires", "2001-01-01");

        Assert.Equal(ExitCodes.Usage, garbage.ExitCode);
        Assert.Contains("'next tuesday' is not a date", garbage.Err);
        Assert.Equal(ExitCodes.Usage, past.ExitCode);
        Assert.Contains("expiresAt: expiresAt must be in the future.", past.Err);
    }

    [Fact]
    public async Task RevokeApiKey_ByIdOrPrefix_AndUnknownKeyExitsOne()
    {
        await AdminAsync("admin", "bootstrap");
        var created = await AdminAsync("admin", "create-api-key", "--name", "temp", "--role", "viewer");
        var id = created.Out.Split(" id ")[1].Split(',')[0];

        var revoked = await AdminAsync("admin", "revoke-api-key", id);
        var unknown = await AdminAsync("admin", "revoke-api-key", "fbk_doesnotexist");

        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Contains("Revoked API key 'temp'", revoked.Out);
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        Assert.Contains("'fbk_doesnotexist' was not found", unknown.Err);
    }

    [Fact]
    public async Task DbMigrate_AppliesMigrations_ThenReportsUpToDate()
    {
        var first = await Cli.RunAsync("db", "migrate", "--data-dir", _data);
        var second = await Cli.RunAsync("db", "migrate", "--data-dir", _data);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"Database: SQLite {Path.Combine(_data, "firebreak.db")}", first.Out);
        Assert.Matches(@"Applied [1-9]\d* migration\(s\):", first.Out);
        Assert.Contains("_Initial", first.Out);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Already up to date", second.Out);
    }

    [Fact]
    public async Task ConfigurationOverrides_PassThrough_DataDirWins_AndOtherStrayArgumentsAreRefused()
    {
        var other = Cli.NewDataDirectory();
        try
        {
            var overridden = await Cli.RunAsync("db", "migrate", "--Firebreak:DataDirectory=" + other);
            var stray = await Cli.RunAsync("db", "migrate", "--data-dir", _data, "--fast");
            var both = await Cli.RunAsync("db", "migrate", "--Firebreak:DataDirectory=" + other, "--data-dir", _data);

            Assert.True(overridden.ExitCode == 0, overridden.ToString());
            Assert.Contains(Path.Combine(other, "firebreak.db"), overridden.Out);
            Assert.Equal(ExitCodes.Usage, stray.ExitCode);
            Assert.Contains("'--fast'", stray.Err);
            Assert.True(both.ExitCode == 0, both.ToString());
            Assert.Contains($"Database: SQLite {Path.Combine(_data, "firebreak.db")}", both.Out);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Cli.DeleteDataDirectory(other);
        }
    }

    [Fact]
    public async Task UnreachableDatabase_IsReportedAsAMessage_WithExitOne()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await Cli.RunAsync("db", "migrate", "--postgres", $"Host=127.0.0.1;Port={port};Database=x;Username=u;Password=never-printed;Timeout=5");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Database: PostgreSQL 127.0.0.1:" + port + "/x", result.Out);
        Assert.Contains($"error: Failed to connect to 127.0.0.1:{port}", result.Err);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.DoesNotContain("never-printed", result.Out + result.Err);
    }

    private async Task<LoginOutcome> SignInAsync(string email, string password)
    {
        await using var app = FirebreakApp.Build(["--Firebreak:DataDirectory=" + _data], b => b.Logging.ClearProviders());
        await using var scope = app.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<LoginService>().PasswordSignInAsync(email, password, TestContext.Current.CancellationToken);
        return result.Outcome;
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("two words")]
    public async Task ProtectAwsSecret_WithoutOneSecretOnStandardInput_IsAUsageError_AndPrintsNothing(string input)
    {
        var result = await Cli.RunWithInputAsync(new Dictionary<string, string?>(), input, "admin", "protect-aws-secret", "--data-dir", _data);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("standard input", result.Err, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task ProtectAwsSecret_RefusesAnOversizedInput()
    {
        var result = await Cli.RunWithInputAsync(new Dictionary<string, string?>(), new string('k', 1_000_000), "admin", "protect-aws-secret", "--data-dir", _data);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("at most 128 characters", result.Err);
        Assert.DoesNotContain("kkkk", result.Out + result.Err);
    }
}
