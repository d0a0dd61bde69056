using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Tests.Persistence;

public class SchemaTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public void Model_HasNoChangesMissingFromTheMigrations(DatabaseProvider provider)
    {
        var settings = new DatabaseSettings(provider,
            provider == DatabaseProvider.Sqlite ? "Data Source=:memory:" : "Host=localhost;Database=unused", Path.GetTempPath());
        var builder = new DbContextOptionsBuilder<FirebreakDbContext>();
        settings.Configure(builder);
        using var db = new FirebreakDbContext(builder.Options, Actors.System("test"), TimeProvider.System);

        Assert.False(db.Database.HasPendingModelChanges(), $"Run 'dotnet ef migrations add' for {provider}.");
        Assert.NotEmpty(db.Database.GetMigrations());
    }

    [Fact]
    public async Task Sqlite_UsesWriteAheadLogging_InTheDataDirectory()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite);
        var file = Path.Combine(harness.Database.DataDirectory, "firebreak.db");
        Assert.True(File.Exists(file));
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public void Settings_SelectPostgres_OnlyWhenAConnectionStringIsGiven()
    {
        var sqlite = DatabaseSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Firebreak:DataDirectory"] = "/var/lib/fb" }).Build());
        var postgres = DatabaseSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = "Host=db;Database=fb;Username=u;Password=hunter2" }).Build());

        Assert.Equal(DatabaseProvider.Sqlite, sqlite.Provider);
        Assert.Equal("SQLite /var/lib/fb/firebreak.db", sqlite.Describe());
        Assert.Equal(DatabaseProvider.Postgres, postgres.Provider);
        Assert.DoesNotContain("hunter2", postgres.Describe());
    }
}
