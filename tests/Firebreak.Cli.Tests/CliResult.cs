namespace Firebreak.Cli.Tests;

/// <summary>What one run of the command line produced.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";

    /// <summary>The value printed after a label such as "Password:" or "Key:".</summary>
    public string Printed(string label)
    {
        var line = Out.Split('\n').Select(l => l.Trim()).SingleOrDefault(l => l.StartsWith(label + ":", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"No '{label}:' line in:\n{this}");
        return line[(label.Length + 1)..].Trim();
    }
}

public static class Cli
{
    /// <summary>Runs the CLI in-process. Only the given variables are visible, so the machine's own FIREBREAK_* never leak in.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error, environment, TestContext.Current.CancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("firebreak-cli-").FullName;

    public static void DeleteDataDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment after the last pooled connection closes; a temp folder may stay.
        }
    }
}
