using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Firebreak.Migrations.Postgres;

/// <summary>Lets the EF tool build the model for PostgreSQL when generating migrations; it never connects.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<FirebreakDbContext>
{
    public FirebreakDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<FirebreakDbContext>()
            .UseNpgsql("Host=localhost;Database=firebreak_design", o => o.MigrationsAssembly(DatabaseSettings.PostgresMigrationsAssembly))
            .Options;
        return new FirebreakDbContext(options, Actors.System("design-time"), TimeProvider.System);
    }
}
