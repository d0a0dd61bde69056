using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Firebreak.Testing;

/// <summary>
/// s3rver, an S3-compatible server distributed as an npm package, run on loopback. It is installed on first
/// use into a cache outside the repository with the machine's npm; without npm the test is skipped,
/// except in CI, where it must run.
/// </summary>
public sealed class S3rverServer : IAsyncDisposable
{
    private const string Version = "3.7.1";
    private readonly Process _process;
    private readonly DirectoryInfo _data;

    private S3rverServer(Process process, DirectoryInfo data, int port)
    {
        _process = process;
        _data = data;
        ServiceUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary>s3rver's fixed credentials; any other key pair is refused (403), as a real bucket would.</summary>
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    public string ServiceUrl { get; }

    public static async Task<S3rverServer> StartAsync(string bucket, CancellationToken cancellationToken)
    {
        var executable = await InstallAsync(cancellationToken);
        var data = Directory.CreateTempSubdirectory("firebreak-s3rver-");
        var port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--directory", data.FullName, "--configure-bucket", bucket, "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
        var server = new S3rverServer(process, data, port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (SocketException)
            {
                var error = process.HasExited ? await process.StandardError.ReadToEndAsync(cancellationToken) : "no answer within 30 s";
                await server.DisposeAsync();
                throw new InvalidOperationException($"s3rver did not start: {error}");
            }
        }
    }

    private static async Task<string> InstallAsync(CancellationToken cancellationToken)
    {
        var prefix = Path.Combine(Path.GetTempPath(), "firebreak-test-tools", $"s3rver-{Version}");
        var executable = Path.Combine(prefix, "node_modules", ".bin", "s3rver");
        if (File.Exists(executable))
        {
            return executable;
        }

        var npm = FindOnPath("npm");
        if (npm is null || FindOnPath("node") is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("node and npm are needed for the S3-compatible server test and CI must not skip it");
            }

            Assert.Skip("node and npm are not installed, so the S3-compatible server (s3rver) cannot be run");
        }

        Directory.CreateDirectory(prefix);
        var install = new ProcessStartInfo(npm)
        {
            ArgumentList = { "install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", $"s3rver@{Version}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(install) ?? throw new InvalidOperationException("npm did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0 && File.Exists(executable), $"npm could not install s3rver: {await output} {await error}");
        return executable;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _data.Delete(recursive: true);
    }
}
