using Amazon.S3;
using Firebreak.Cloud.Aws;
using Firebreak.Cloud.Azure;
using Firebreak.Cloud.Evidence;
using Firebreak.Cloud.Gcp;
using Firebreak.Core.Evidence;
using Firebreak.Core.Response;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Firebreak.Cloud;

/// <summary>
/// AWS, Azure and GCP: the implementations of the ports Firebreak.Core defines (evidence stores, response
/// actions). The server wires them with <see cref="AddFirebreakCloud"/>, after AddFirebreakCore.
/// </summary>
public static class CloudModule
{
    public static IServiceCollection AddFirebreakCloud(this IServiceCollection services, IConfiguration configuration)
    {
        switch (configuration["Firebreak:Evidence:Store"]?.Trim().ToLowerInvariant())
        {
            case null or "" or "local":
                break;
            case "s3":
                var options = S3EvidenceStoreOptions.From(configuration);
                // The client resolves credentials from the SDK's default chain on first use.
                services.Replace(ServiceDescriptor.Singleton<IEvidenceStore>(_ => new S3EvidenceStore(new AmazonS3Client(options.ClientConfig()), options)));
                break;
            case var other:
                throw new InvalidOperationException($"Firebreak:Evidence:Store '{other}' is not a store: use local or s3.");
        }
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
        // Read once here so a malformed URL stops the server at start; sessions read it again on each use.
        _ = GcpSettings.From(configuration);
        services.AddHttpClient(GcpSessions.HttpClientName);
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<GcpSessions>(provider, configuration));
        services.AddSingleton<IResponseAction, Gcp.SnapshotDisksAction>();
        services.AddSingleton<IResponseAction, DisableServiceAccountAction>();
        services.AddSingleton<IResponseAction, DisableServiceAccountKeyAction>();
        services.AddSingleton<IResponseAction, DenyAllFirewallAction>();
        services.AddSingleton<IResponseAction, ResetExternalIpAction>();
        services.AddHttpClient(AzureSessions.HttpClientName);
        services.AddSingleton(AzureSettings.From(configuration));
        services.AddSingleton<AzureSessions>();
        services.AddSingleton<IResponseAction, Azure.SnapshotDisksAction>();
        services.AddSingleton<IResponseAction, IsolateVirtualMachineAction>();
        services.AddSingleton<IResponseAction, DisableUserAction>();
        services.AddSingleton<IResponseAction, RevokeSessionsAction>();
        services.AddSingleton<IResponseAction, RemoveAppCredentialsAction>();
        return services;
    }
}
