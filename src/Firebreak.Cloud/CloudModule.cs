using Firebreak.Cloud.Aws;
using Firebreak.Core.Response;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Firebreak.Cloud;

/// <summary>
/// AWS, Azure and GCP: the implementations of the ports Firebreak.Core defines (evidence stores, response
/// actions). The server wires them with <see cref="AddFirebreakCloud"/>.
/// </summary>
public static class CloudModule
{
    public static IServiceCollection AddFirebreakCloud(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient("aws");
        services.AddDataProtection();
        services.AddSingleton(AwsSettings.From(configuration));
        services.AddSingleton<AwsSessions>();
        services.AddSingleton<IResponseAction, CaptureInstanceAction>();
        services.AddSingleton<IResponseAction, SnapshotVolumesAction>();
        services.AddSingleton<IResponseAction, ProtectInstanceAction>();
        services.AddSingleton<IResponseAction, DetachFromAutoScalingGroupAction>();
        services.AddSingleton<IResponseAction, RevokeRoleSessionsAction>();
        services.AddSingleton<IResponseAction, DeactivateAccessKeyAction>();
        services.AddSingleton<IResponseAction, DeleteLoginProfileAction>();
        services.AddSingleton<IResponseAction, AttachDenyAllAction>();
        services.AddSingleton<IResponseAction, IsolateInstanceAction>();
        services.AddSingleton<IResponseAction, DenyAllNetworkAclAction>();
        services.AddSingleton<IResponseAction, StopInstanceAction>();
        services.AddSingleton<IResponseAction, BlockS3PublicAccessAction>();
        services.AddSingleton<IResponseAction, DeregisterTargetsAction>();
        services.AddSingleton<IResponseAction, DisassociateInstanceProfileAction>();
        return services;
    }
}
