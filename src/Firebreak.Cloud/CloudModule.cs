using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cloud;

/// <summary>
/// AWS, Azure and GCP: the implementations of the ports Firebreak.Core defines (evidence stores, response
/// actions). The server wires them with <see cref="AddFirebreakCloud"/>.
/// </summary>
public static class CloudModule
{
    public static IServiceCollection AddFirebreakCloud(this IServiceCollection services) => services;
}
