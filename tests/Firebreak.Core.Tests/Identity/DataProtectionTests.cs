using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Firebreak.Core.Tests.Identity;

public sealed class DataProtectionTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("firebreak-keys-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private sealed class Environment(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "firebreak";
        public string ContentRootPath { get; set; } = contentRoot;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    /// <summary>A process of Firebreak installed in <paramref name="installFolder"/>, on the shared data directory.</summary>
    private ServiceProvider Process(string installFolder)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Firebreak:DataDirectory"] = _data }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(new Environment(installFolder));
        services.AddLogging();
        services.AddFirebreakCore(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void ASecretProtectedByOneInstall_IsReadByAnotherInstall_OnTheSameDataDirectory()
    {
        const string purpose = "Firebreak.Tests.Secret";
        string protectedForm;
        using (var old = Process("/opt/firebreak-1.0"))
            protectedForm = old.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Protect("s3cr3t-value");

        using var upgraded = Process("/opt/firebreak-1.1");
        Assert.Equal("s3cr3t-value", upgraded.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Unprotect(protectedForm));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_data, "keys")));
    }
}
