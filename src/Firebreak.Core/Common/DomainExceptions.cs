namespace Firebreak.Core.Common;

/// <summary>
/// The closed set of failures a use case may report. The server turns each into one ProblemDetails
/// status; anything else is a 500 without details.
/// </summary>
public abstract class DomainException(string message) : Exception(message);

/// <summary>The record does not exist, or belongs to another tenant (which must look the same).</summary>
public sealed class NotFoundException(string what, string key) : DomainException($"{what} '{key}' was not found.")
{
    public string What { get; } = what;
    public string Key { get; } = key;
}

/// <summary>Input broke a rule; field errors keyed by the request field name.</summary>
public sealed class ValidationFailedException(IReadOnlyDictionary<string, string[]> errors)
    : DomainException("One or more fields are invalid.")
{
    public ValidationFailedException(string field, string error) : this(new Dictionary<string, string[]> { [field] = [error] }) { }

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>The request is well formed but the record's state forbids it (a phase guard, a duplicate name).</summary>
public sealed class ConflictException(string message) : DomainException(message);

/// <summary>Someone else changed the record since the caller read it.</summary>
public sealed class ConcurrencyConflictException(string message) : DomainException(message);

/// <summary>The caller's role does not allow this operation on this record.</summary>
public sealed class ForbiddenException(string message) : DomainException(message);
