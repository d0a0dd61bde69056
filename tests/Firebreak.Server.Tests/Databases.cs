using Firebreak.Testing;

namespace Firebreak.Server.Tests;

/// <summary>Every data test runs on both providers.</summary>
public static class Databases
{
    public static TheoryData<DatabaseKind> Both => new(DatabaseKind.Sqlite, DatabaseKind.Postgres);
}
