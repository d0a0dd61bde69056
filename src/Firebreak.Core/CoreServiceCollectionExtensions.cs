using Firebreak.Core.Alerts;
using Firebreak.Core.Auditing;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Firebreak.Core;

public static class CoreServiceCollectionExtensions
{
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
        services.AddScoped<PostMortem.Reports.ReportService>();
        services.AddSingleton(InvestigationOptions.From(configuration, database.DataDirectory));
        services.AddSingleton<EventImportSignal>();
        services.AddScoped<EventImportService>();
        services.AddScoped<EventImportRunner>();
        services.AddHostedService<EventImportWorker>();
        services.AddScoped<EventSearchService>();
        services.AddScoped<TimelineService>();
        services.AddScoped<Scope.ScopeService>();
        return services;
    }
}
