namespace Firebreak.Core.Alerts;

/// <summary>Told about alerts stored for the first time, after their transaction committed. Must return at once.</summary>
public interface IAlertIntakeObserver
{
    void AlertsStored(Guid tenantId, IReadOnlyList<Alert> alerts);
}
