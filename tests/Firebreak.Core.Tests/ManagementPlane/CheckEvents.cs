using System.Text.Json;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.ManagementPlane;

/// <summary>Hand-written incident events, stored with the product's bulk writer; each gets a known event id to find its row id by.</summary>
internal sealed class CheckEvents(Guid tenantId, Guid incidentId)
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<IncidentEvent> _rows = [];
    private int _next;

    public CheckEvents Add(string provider, string logSource, string? account, string operation, string? eventSource = null, string? principal = null,
        string? principalType = null, object? request = null, string? errorCode = null, int minute = -1, string? id = null)
    {
        var n = _next++;
        _rows.Add(new IncidentEvent
        {
            TenantId = tenantId,
            IncidentId = incidentId,
            EventId = id ?? $"ev-{n:D6}",
            Time = Start.AddMinutes(minute >= 0 ? minute : n),
            Provider = provider,
            LogSource = logSource,
            Account = account,
            EventSource = eventSource,
            Operation = operation,
            Principal = principal ?? "someone@example.com",
            PrincipalType = principalType,
            Result = errorCode is null ? EventResult.Success : EventResult.Failure,
            ErrorCode = errorCode,
            Raw = JsonSerializer.Serialize(new { operation, requestParameters = request }),
        });
        return this;
    }

    public CheckEvents Aws(string operation, string eventSource, string account = "111122223333", object? request = null, string? principal = null,
        string? errorCode = null, string? id = null, int minute = -1) =>
        Add("aws", "cloudtrail", account, operation, eventSource, principal ?? $"arn:aws:iam::{account}:user/alice", "IAMUser", request, errorCode, minute, id);

    /// <summary>Ordinary activity in every log of every provider, so no item is unknown.</summary>
    public CheckEvents Background()
    {
        Aws("DescribeInstances", "ec2.amazonaws.com");
        Aws("ListBuckets", "s3.amazonaws.com");
        Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "Microsoft.Compute/virtualMachines/read");
        Add("azure", "signinlogs", "tenant-1", "Sign-in activity", principal: "bob@contoso.example");
        Add("azure", "auditlogs", "tenant-1", "Update user");
        Add("gcp", "gcp.audit", "proj-1", "v1.compute.instances.list", principal: "carol@example.com");
        return this;
    }

    public async Task<Dictionary<string, long>> SaveAsync(ActorScope scope)
    {
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await IncidentEventWriter.InsertAsync(db, _rows, CancellationToken.None);
            await transaction.CommitAsync();
        }
        var ids = _rows.Select(r => r.EventId).ToList();
        return await db.IncidentEvents.Where(e => e.IncidentId == incidentId && ids.Contains(e.EventId)).ToDictionaryAsync(e => e.EventId, e => e.Id);
    }
}
