using Firebreak.Core.Common;

namespace Firebreak.Core.Playbooks;

/// <summary>Wakes the playbook worker when a run starts or a person acts on a step; it also polls, for approvals given elsewhere.</summary>
public sealed class PlaybookSignal : WorkSignal;
