using System.Text.Json;
using System.Text.Json.Serialization;
using Firebreak.Cloud;
using Firebreak.Core;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Server.Api;
using Firebreak.Server.Identity;
using Firebreak.Server.Ui;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Server.Hosting;

/// <summary>The table of contents: what the server is made of, in the order it is assembled.</summary>
public static class FirebreakApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The same name whichever executable hosts the server, so static assets resolve.
            ApplicationName = typeof(FirebreakApp).Assembly.GetName().Name,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        // SQL text at Information drowns the console a responder watches; warnings and errors still show.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        configure?.Invoke(builder);

        builder.Services.AddFirebreakCore(builder.Configuration);
        builder.Services.AddFirebreakCloud(builder.Configuration);
        builder.AddFirebreakProblemDetails();
        builder.AddFirebreakIdentity();
        builder.AddFirebreakRateLimits();
        builder.AddFirebreakHealth();
        builder.AddFirebreakApi();
        builder.AddFirebreakUi();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseProblemStatusCodes();
        app.UseRequestBodyLimits();
        app.UseAuthentication();
        app.UseCurrentActor();
        app.UseRateLimiter();
        app.UseAuthorization();
        // After sign-in and roles: a caller without a key learns nothing from the body's content.
        app.UseNulTextRefusal();
        app.UseAntiforgery();

        app.MapHealthEndpoints();
        app.MapAccountEndpoints();
        app.MapFirebreakApi();
        app.MapFirebreakUi();
        return app;
    }

    /// <summary>Applies pending migrations; run before the server takes requests.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("migrate");
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await DatabaseMigrator.MigrateAsync(db, scope.ServiceProvider.GetRequiredService<DatabaseSettings>(), cancellationToken);
    }
}

internal static class ApiSetup
{
    public const long DefaultBodyLimit = 1024 * 1024;

    public static WebApplicationBuilder AddFirebreakApi(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Firebreak API";
            document.Info.Version = "v1";
            document.Info.Description = "Cloud incident response. Authenticate with 'Authorization: Bearer <API key>'.";
            // The address a request came in on is not part of the contract, and would make the committed copy differ per run.
            document.Servers?.Clear();
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        // A misspelt field is an error, not silently ignored data.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.MaxDepth = 32;
    }

    public static WebApplication MapFirebreakApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(Policies.Viewer);
        var api = app.MapGroup("/api/v1").RequireRateLimiting(RateLimits.ApiPolicy);
        api.MapIncidentEndpoints();
        api.MapIncidentRecordEndpoints();
        api.MapIdentityEndpoints();
        api.MapAlertEndpoints();
        api.MapEvidenceEndpoints();
        api.MapPostMortemEndpoints();
        api.MapResponseEndpoints();
        api.MapInvestigationEndpoints();
        api.MapThreatIntelEndpoints();
        api.MapDataLossEndpoints();
        api.MapAssetEndpoints();
        api.MapIndicatorEndpoints();
        api.MapManagementPlaneEndpoints();
        api.MapScopeEndpoints();
        api.MapRecoveryEndpoints();
        api.MapPlaybookEndpoints();
        return app;
    }

    /// <summary>JSON bodies are small; refuse anything larger before reading it (413).</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? DefaultBodyLimit;
            var feature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
            if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
            if (context.Request.ContentLength > limit)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
        }
        await next(context);
    });
}
