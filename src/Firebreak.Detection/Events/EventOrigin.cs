namespace Firebreak.Detection.Events;

/// <summary>
/// Where a record was read: the file or object (<c>s3://bucket/key</c>), its 1-based line and its
/// 0-based index in that file, so a finding can cite its evidence exactly.
/// </summary>
public sealed record EventOrigin(string Source, long Line, long RecordIndex);
