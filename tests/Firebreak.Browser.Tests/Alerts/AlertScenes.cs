using Firebreak.Core.Alerts;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Browser.Tests.Alerts;

/// <summary>Alerts arriving as a tool would send them, through the real intake queue and writer.</summary>
internal static class AlertScenes
{
    /// <summary>A source name no other test uses, so a test can filter the shared queue down to its own alerts.</summary>
    public static string UniqueSource(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    public static IncomingAlert Alert(string source, string title, AlertSeverity severity = AlertSeverity.Medium,
        IReadOnlyList<AlertEntity>? principals = null, IReadOnlyList<AlertEntity>? observables = null,
        IReadOnlyList<string>? resources = null, string? rawPayload = null, string? account = null) => new()
    {
        Source = source,
        SourceReference = Guid.NewGuid().ToString("N"),
        Title = title,
        Severity = severity,
        Provider = "aws",
        Account = account ?? "111122223333",
        Region = "eu-west-1",
        Principals = principals ?? [],
        Observables = observables ?? [],
        Resources = resources ?? [],
        RawPayload = rawPayload ?? $$"""{"title":"{{title}}","source":"{{source}}"}""",
        Format = "generic",
    };

    public static async Task<IReadOnlyList<IntakeOutcome>> SubmitAlertsAsync(this FirebreakSite site, TestUser sender, params IncomingAlert[] alerts) =>
        (await site.ActAsync(sender, services => services.GetRequiredService<AlertIntake>()
            .SubmitAsync(sender.TenantId, sender.DisplayName, alerts, idempotencyKey: null))).Alerts;

    public static async Task<Guid> SubmitAlertAsync(this FirebreakSite site, TestUser sender, IncomingAlert alert) =>
        (await site.SubmitAlertsAsync(sender, alert))[0].Id;
}
