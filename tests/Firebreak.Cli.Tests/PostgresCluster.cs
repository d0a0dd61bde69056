using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Firebreak.Cli.Tests;

/// <summary>
/// A throwaway PostgreSQL server from the machine's PostgreSQL binaries, on a free loopback port, with a
/// password so tests can check it is never printed. initdb refuses to run as root, so as root the
/// cluster belongs to the postgres user.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string Password = "pg-Secret-8d1f";
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-pg-").FullName;
    private string _bin = "";

    public int Port { get; } = FreePort();

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=firebreak;Username=postgres;Password={Password}";

    public static string SecretPassword => Password;

    public async ValueTask InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL server binaries were not found under /usr/lib/postgresql (install the 'postgresql' package).");
        var passwordFile = Path.Combine(_root, "pw");
        await File.WriteAllTextAsync(passwordFile, Password);
        if (Environment.UserName == "root") await RunAsync("chown", "-R", "postgres:postgres", _root);
        await RunAsPostgresAsync(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_root, "data"), "-U", "postgres",
            "--auth=scram-sha-256", "--pwfile=" + passwordFile, "--no-sync");
        await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-l", Path.Combine(_root, "log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            if (_bin.Length > 0) await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Cli.DeleteDataDirectory(_root);
        }
    }

    private static Task RunAsPostgresAsync(string file, params string[] args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
