using Firebreak.Testing;

namespace Firebreak.Cloud.Tests;

/// <summary>Every data test runs on both providers.</summary>
public static class Databases
{
    public static TheoryData<DatabaseKind> Both => new(DatabaseKind.Sqlite, DatabaseKind.Postgres);
}
