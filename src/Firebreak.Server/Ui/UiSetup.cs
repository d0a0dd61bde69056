using Firebreak.Core.Identity;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Firebreak.Server.Ui;

internal static class UiSetup
{
    public static WebApplicationBuilder AddFirebreakUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddScoped<CircuitHandler, ActorCircuitHandler>();
        return builder;
    }

    public static WebApplication MapFirebreakUi(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}

/// <summary>
/// Interactive components run in a circuit, outside any HTTP request: this gives the circuit's scope
/// the signed-in user as its actor, so the tenant filter and audit work there too.
/// </summary>
internal sealed class ActorCircuitHandler(AuthenticationStateProvider authentication, CurrentActor actor) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var state = await authentication.GetAuthenticationStateAsync();
        FirebreakClaims.Apply(state.User, actor);
        authentication.AuthenticationStateChanged += async task => FirebreakClaims.Apply((await task).User, actor);
    }
}
