using Spectre.Console;

namespace Firebreak.Cli;

/// <summary>
/// Where a command writes and what it reads from the environment. Passed in rather than read from
/// <see cref="Console"/> and <see cref="Environment"/> so the whole CLI runs in-process under test.
/// </summary>
public sealed class CliContext
{
    private readonly Func<string, string?> _environment;

    public CliContext(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Output = output;
        Error = error;
        _environment = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var value) ? value : null;
        Console = CreateConsole(output, ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected);
        _errorIsTerminal = ReferenceEquals(error, System.Console.Error) && !System.Console.IsErrorRedirected;
        ErrorConsole = CreateConsole(error, _errorIsTerminal);
    }

    private readonly bool _errorIsTerminal;

    public TextWriter Output { get; }
    public TextWriter Error { get; }

    /// <summary>Tables and colour on standard output; plain text when it is not a terminal.</summary>
    public IAnsiConsole Console { get; }

    public IAnsiConsole ErrorConsole { get; }

    public string? GetEnvironmentVariable(string name)
    {
        var value = _environment(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>
    /// Work that may take more than a second (migrations, opening a remote database) shows a spinner on a
    /// terminal. It goes to standard error so that standard output stays clean for pipes.
    /// </summary>
    public Task<T> WithStatusAsync<T>(string message, Func<Task<T>> work) =>
        _errorIsTerminal ? ErrorConsole.Status().StartAsync(message, _ => work()) : work();

    public void WriteError(string message) => ErrorConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Piped output has no width to detect; a wide fixed width keeps table rows on one line for grep.
        if (!terminal) console.Profile.Width = 200;
        return console;
    }
}
