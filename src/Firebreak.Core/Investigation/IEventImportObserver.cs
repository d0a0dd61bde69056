namespace Firebreak.Core.Investigation;

/// <summary>Told when an event import finished and its events are stored. Must return at once.</summary>
public interface IEventImportObserver
{
    void ImportCompleted(Guid tenantId, Guid incidentId);
}
