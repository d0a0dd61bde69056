using Firebreak.Core.Alerts;
using Firebreak.Core.Auditing;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Indicators.Enrichment;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Firebreak.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>The Data Protection application name every Firebreak process shares.</summary>
    public const string DataProtectionApplicationName = "Firebreak";

    /// <summary>The database, the current actor and every use case.</summary>
    public static IServiceCollection AddFirebreakCore(this IServiceCollection services, IConfiguration configuration)
    {
        var database = DatabaseSettings.From(configuration);
        services.AddSingleton(database);
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<CurrentActor>();
        services.AddScoped<ICurrentActor>(sp => sp.GetRequiredService<CurrentActor>());
        // Scoped, so each context sees the actor of its request or circuit.
        services.AddDbContextFactory<FirebreakDbContext>(database.Configure, ServiceLifetime.Scoped);

        services.AddScoped<LoginService>();
        services.AddScoped<UserService>();
        services.AddSingleton<ApiKeyAuthenticationCache>();
        services.AddScoped<ApiKeyService>();
        services.AddScoped<AdminService>();
        services.AddScoped<IncidentService>();
        services.AddScoped<TaskService>();
        services.AddScoped<JournalService>();
        services.AddScoped<ReviewService>();
        services.AddScoped<AuditService>();
        services.AddScoped<AlertService>();
        services.AddScoped<SuppressionService>();
        services.AddScoped<EscalationService>();
        services.AddScoped<AlertCorrelation>();
        services.AddSingleton<AlertIntake>();
        services.AddSingleton<AlertRuleCache>();
        services.AddHostedService<AlertIntakeWriter>();
        services.AddScoped<EscalationRuleService>();
        services.AddHostedService<EscalationRuleWorker>();
        services.AddSingleton<IEvidenceStore>(new LocalEvidenceStore(
            configuration["Firebreak:Evidence:Directory"] is { Length: > 0 } evidence ? Path.GetFullPath(evidence) : Path.Combine(database.DataDirectory, "evidence")));
        services.AddScoped<EvidenceService>();
        services.AddScoped<PostMortem.MetricsService>();
        services.AddScoped<PostMortem.FollowUpService>();
        services.AddScoped<PostMortem.DataGapService>();
        services.AddScoped<PostMortem.ProviderEscalationService>();
        services.AddScoped<PostMortem.ResponseTrendService>();
        services.AddScoped<Response.ResponseService>();
        services.AddHostedService<Response.InterruptedActionWorker>();
        services.AddScoped<Recovery.RecoveryService>();
        services.AddScoped<Recovery.BaselineService>();
        services.AddScoped<ManagementPlane.BreakGlassService>();
        services.AddScoped<PostMortem.Reports.ReportService>();
        services.AddSingleton(InvestigationOptions.From(configuration, database.DataDirectory));
        services.AddSingleton<EventImportSignal>();
        services.AddScoped<EventImportService>();
        services.AddScoped<EventImportRunner>();
        services.AddHostedService<EventImportWorker>();
        services.AddScoped<EventSearchService>();
        services.AddScoped<TimelineService>();
        AddThreatIntel(services, configuration, database);
        services.AddScoped<Assets.AssetService>();
        services.AddSingleton(DataLoss.DataLossOptions.From(configuration));
        services.AddScoped<DataLoss.DataLossService>();
        services.AddScoped<IndicatorService>();
        services.AddScoped<IndicatorEnrichmentRunner>();
        services.AddScoped<IIndicatorEnricher, IpClassificationEnricher>();
        services.AddScoped<IIndicatorEnricher, KnownAccountEnricher>();
        services.AddScoped<ManagementPlane.ManagementPlaneCheckService>();
        services.AddScoped<Scope.ScopeService>();
        services.AddSingleton<Playbooks.PlaybookSignal>();
        services.AddScoped<Playbooks.PlaybookService>();
        services.AddScoped<Playbooks.PlaybookRunner>();
        services.AddHostedService<Playbooks.PlaybookWorker>();
        return services;
    }

    private static void AddThreatIntel(IServiceCollection services, IConfiguration configuration, DatabaseSettings database)
    {
        // Feed credentials and cloud secrets are stored protected; the keys live in the data directory. A fixed
        // application name (instead of the default, the install folder) keeps them readable after an upgrade
        // into a new folder and between the server and the CLI.
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(database.DataDirectory, "keys")));
        services.AddHttpClient(ThreatIntel.FeedFetcher.ClientName, client =>
        {
            client.Timeout = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue("Firebreak:ThreatIntel:TimeoutSeconds", 60), 1, 600));
            client.DefaultRequestHeaders.UserAgent.ParseAdd("Firebreak-ThreatIntel/1.0");
        })
            // A redirect would carry an API key header to whatever host it names: refuse it instead.
            .ConfigurePrimaryHttpMessageHandler(() => new System.Net.Http.SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<ThreatIntel.FeedFetcher>();
        services.AddSingleton<ThreatIntel.IndicatorLookup>();
        services.AddSingleton<ThreatIntel.ThreatIntelQueue>();
        services.AddSingleton<IAlertIntakeObserver>(sp => sp.GetRequiredService<ThreatIntel.ThreatIntelQueue>());
        services.AddSingleton<IEventImportObserver>(sp => sp.GetRequiredService<ThreatIntel.ThreatIntelQueue>());
        services.AddScoped<ThreatIntel.ThreatIntelMatcher>();
        services.AddScoped<ThreatIntel.ThreatIntelService>();
        services.AddHostedService<ThreatIntel.ThreatIntelMatchWorker>();
        services.AddHostedService<ThreatIntel.ThreatFeedPoller>();
    }
}
