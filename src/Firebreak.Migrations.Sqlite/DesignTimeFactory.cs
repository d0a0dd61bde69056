using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Firebreak.Migrations.Sqlite;

/// <summary>Lets the EF tool build the model for SQLite when generating migrations.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<FirebreakDbContext>
{
    public FirebreakDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<FirebreakDbContext>()
            .UseSqlite("Data Source=design-time.db", o => o.MigrationsAssembly(DatabaseSettings.SqliteMigrationsAssembly))
            .Options;
        return new FirebreakDbContext(options, Actors.System("design-time"), TimeProvider.System);
    }
}
