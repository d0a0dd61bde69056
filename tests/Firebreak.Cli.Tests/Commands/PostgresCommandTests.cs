namespace Firebreak.Cli.Tests.Commands;

/// <summary>The operator commands on PostgreSQL, selected with --postgres.</summary>
public sealed class PostgresCommandTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task DbMigrate_ThenBootstrap_WorkOnPostgres_WithoutPrintingTheConnectionPassword()
    {
        var migrate = await Cli.RunAsync("db", "migrate", "--postgres", postgres.ConnectionString);

        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains($"Database: PostgreSQL 127.0.0.1:{postgres.Port}/firebreak", migrate.Out);
        Assert.Matches(@"Applied [1-9]\d* migration\(s\):", migrate.Out);
        Assert.Contains("_Initial", migrate.Out);

        var again = await Cli.RunAsync("db", "migrate", "--postgres", postgres.ConnectionString);
        Assert.Contains("Already up to date", again.Out);

        var bootstrap = await Cli.RunAsync("admin", "bootstrap", "--tenant", "Pg", "--email", "pg@acme.example", "--postgres", postgres.ConnectionString);
        Assert.True(bootstrap.ExitCode == 0, bootstrap.ToString());
        Assert.Contains("Email:    pg@acme.example", bootstrap.Out);

        foreach (var result in new[] { migrate, again, bootstrap })
            Assert.DoesNotContain(PostgresCluster.SecretPassword, result.Out + result.Err);
    }
}
