using Firebreak.Server.Hosting;

var app = FirebreakApp.Build(args);
await app.MigrateDatabaseAsync();
await app.RunAsync();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
