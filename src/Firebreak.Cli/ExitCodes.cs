namespace Firebreak.Cli;

/// <summary>The documented exit codes; scripts branch on these, so they never change meaning.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A check failed or the server refused the request (not found, conflict, forbidden, bad key).</summary>
    public const int Refused = 1;

    /// <summary>The command line or its input is wrong, or the server cannot be reached.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (SIGINT) before the end, as shells report a process ended by that signal.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM before the end (timeout, a service manager), as shells report a process ended by it.</summary>
    public const int Terminated = 143;

    public const string HelpText = "Exit codes: 0 ok; 1 failed check or the server refused (not found, conflict, forbidden, bad API key); 2 usage or input error (bad option, invalid field, missing API key, server unreachable).";
}

/// <summary>A failure the user can act on: printed as a message, never as a stack trace.</summary>
public sealed class CliException(int exitCode, string message, IReadOnlyDictionary<string, string[]>? fieldErrors = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    public IReadOnlyDictionary<string, string[]> FieldErrors { get; } = fieldErrors ?? new Dictionary<string, string[]>();
}
