using System.Globalization;
using System.Net;

namespace Firebreak.LoadGen;

public sealed record LoadOptions(
    string Mode,
    Uri Url,
    string Key,
    int Connections,
    double Seconds,
    long MaxRequests,
    int BatchSize,
    double RepeatShare,
    long Count,
    string? Text,
    int Pages,
    string? Sqlite,
    string? Postgres,
    string Label,
    int? ServerPid)
{
    public const string Usage = """
        firebreak-loadgen MODE [options]
          batch     sustained POST /api/v1/alerts/batch      --url --key --connections --seconds --batch-size --repeat-share
          single    one alert per POST /api/v1/alerts        --url --key --connections --seconds --repeat-share
          load      store --count unique alerts in batches   --url --key --connections --batch-size --count
          list      GET /api/v1/alerts filtered and paged    --url --key --connections --seconds --pages [--text WORD]
          baseline  plain INSERTs, no dedup, no HTTP          --sqlite FILE | --postgres CONNECTION  --count --batch-size
        Common: --max-requests N (default 1,000,000), --label TEXT (printed with the result),
          --server-pid PID (Linux: also print the server's CPU time per alert or request).
        Only loopback URLs are accepted. Example:
          firebreak-loadgen batch --url http://127.0.0.1:5080 --key fbk_... --connections 4 --seconds 20 --batch-size 2000
        """;

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("A mode is required.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' at '{args[i]}'.");
            values[args[i][2..]] = args[i + 1];
        }
        string? Get(string name) => values.GetValueOrDefault(name);
        double Number(string name, double fallback) => Get(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

        var url = new Uri(Get("url") ?? "http://127.0.0.1:5080");
        // Load goes to this machine only, whatever the caller types.
        if (!IPAddress.TryParse(url.Host, out var address) || !IPAddress.IsLoopback(address))
            throw new ArgumentException($"--url must be a loopback address such as http://127.0.0.1:PORT, not '{url.Host}'.");
        var options = new LoadOptions(
            Mode: args[0],
            Url: url,
            Key: Get("key") ?? Environment.GetEnvironmentVariable("FIREBREAK_API_KEY") ?? "",
            Connections: (int)Number("connections", 4),
            Seconds: Math.Min(Number("seconds", 15), 600),
            MaxRequests: (long)Number("max-requests", 1_000_000),
            BatchSize: (int)Number("batch-size", 2_000),
            RepeatShare: Number("repeat-share", 0.2),
            Count: (long)Number("count", 100_000),
            Text: Get("text"),
            Pages: (int)Number("pages", 20),
            Sqlite: Get("sqlite"),
            Postgres: Get("postgres"),
            Label: Get("label") ?? args[0],
            ServerPid: Get("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null);
        if (options.Connections is < 1 or > 256) throw new ArgumentException("--connections must be 1 to 256.");
        if (options.BatchSize is < 1 or > 10_000) throw new ArgumentException("--batch-size must be 1 to 10,000.");
        if (options.RepeatShare is < 0 or >= 1) throw new ArgumentException("--repeat-share must be at least 0 and below 1.");
        return options;
    }
}
