using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;

namespace Firebreak.Browser.Tests;

/// <summary>
/// The server's app.css and the framework's blazor.web.js are not copied next to the test assembly;
/// the build writes a manifest (Firebreak.Server.staticwebassets.runtime.json) saying where they are.
/// Only the Development environment reads it by default, and the tests run the server as in
/// production, so the manifest is loaded explicitly here.
/// </summary>
internal static class StaticAssets
{
    public static void Enable(WebApplicationBuilder builder) =>
        StaticWebAssetsLoader.UseStaticWebAssets(builder.Environment, builder.Configuration);
}
