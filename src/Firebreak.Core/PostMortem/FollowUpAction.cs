using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.PostMortem;

[JsonConverter(typeof(StrictEnumConverter<FollowUpStatus>))]
public enum FollowUpStatus
{
    [JsonStringEnumMemberName("open")] Open = 0,
    [JsonStringEnumMemberName("in-progress")] InProgress = 1,
    [JsonStringEnumMemberName("done")] Done = 2,
}

/// <summary>
/// An action the review agreed on (rotate the keys, add the missing log source). Tracked until done,
/// across incidents, and long after the incident itself is closed.
/// </summary>
public sealed class FollowUpAction : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public required string Title { get; set; }
    public string Notes { get; set; } = "";
    public Guid? OwnerId { get; set; }

    /// <summary>A calendar date: the action is overdue from the day after, in UTC.</summary>
    public DateOnly? DueOn { get; set; }
    public FollowUpStatus Status { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}
