using Spectre.Console;

namespace Firebreak.Cli;

/// <summary>
/// Where a command writes and what it reads from the environment. Passed in rather than read from
/// <see cref="Console"/> and <see cref="Environment"/> so the whole CLI runs in-process under test.
/// </summary>
public sealed class CliContext
{
    private readonly Func<string, string?> _environment;

    private readonly Stream? _input;

    public CliContext(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?>? environment = null, Stream? input = null)
        : this(output, error, environment, input, ReferenceEquals(error, System.Console.Error) && !System.Console.IsErrorRedirected)
    {
    }

    /// <summary>With <paramref name="errorIsTerminal"/>, standard error is drawn as on a terminal (progress, colour) whatever it is.</summary>
    internal CliContext(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?>? environment, Stream? input, bool errorIsTerminal)
    {
        _input = input;
        Output = output;
        Error = error;
        _environment = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var value) ? value : null;
        _isStandardOutput = ReferenceEquals(output, System.Console.Out);
        Console = CreateConsole(output, _isStandardOutput && !System.Console.IsOutputRedirected);
        _errorIsTerminal = errorIsTerminal;
        // Messages and summaries redirected to a file are read with tail and grep: one message, one line, however long.
        ErrorConsole = CreateConsole(error, _errorIsTerminal);
    }

    private readonly bool _errorIsTerminal;

    private readonly bool _isStandardOutput;

    private Stream? _standardOutputStream;

    public TextWriter Output { get; }
    public TextWriter Error { get; }

    /// <summary>Tables and colour on standard output; plain text when it is not a terminal.</summary>
    public IAnsiConsole Console { get; }

    public IAnsiConsole ErrorConsole { get; }

    /// <summary>
    /// Writes UTF-8 text to <see cref="Output"/>. On the process's standard output the bytes go straight
    /// to the stream (after whatever <see cref="Output"/> holds), so bulk output such as a hunt's JSON
    /// lines is not decoded to UTF-16 and encoded back; any other writer gets the decoded text.
    /// </summary>
    public void WriteOutputUtf8(ReadOnlySpan<byte> text)
    {
        if (!_isStandardOutput)
        {
            Output.Write(System.Text.Encoding.UTF8.GetString(text));
            return;
        }

        Output.Flush();
        _standardOutputStream ??= System.Console.OpenStandardOutput();
        _standardOutputStream.Write(text);
        _standardOutputStream.Flush();
    }

    /// <summary>Standard input, for commands that read a file given as '-'.</summary>
    public Stream OpenInput() => _input ?? System.Console.OpenStandardInput();

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

    /// <summary>
    /// A progress bar on standard error for work done in steps (chunks sent, files written), shown only
    /// when standard error is a terminal so that logs and pipes get no control characters.
    /// </summary>
    public Task<T> WithProgressAsync<T>(string description, int steps, Func<Action, Task<T>> work)
    {
        if (!_errorIsTerminal) return work(() => { });
        return ErrorConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask(Markup.Escape(description), maxValue: steps);
            return await work(() => task.Increment(1));
        });
    }

    /// <summary>An error on one line (an SDK's or the runtime's message can run over several), control characters shown escaped.</summary>
    public void WriteError(string message) => ErrorConsole.Line(("error:", ConsoleText.Error), (" " + Commands.HuntCommand.Visible(message.ReplaceLineEndings(" ")), null));

    private const int UnwrappedWidth = 1 << 20;

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Piped output has no width to detect; an unbounded one keeps each table row on one line for grep, however long.
        if (!terminal) console.Profile.Width = UnwrappedWidth;
        return console;
    }
}
