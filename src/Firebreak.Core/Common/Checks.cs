namespace Firebreak.Core.Common;

/// <summary>Field rules shared by use cases, so every entry point (API, CLI, UI) gets the same answer.</summary>
internal sealed class Checks
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public Checks Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, $"{field} is required.");
        else if (value.Length > maxLength) Add(field, $"{field} must be at most {maxLength} characters.");
        return this;
    }

    public Checks MaxLength(string field, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength) Add(field, $"{field} must be at most {maxLength} characters.");
        return this;
    }

    public Checks Items(string field, IReadOnlyList<string>? values, int maxCount, int maxLength)
    {
        if (values is null) return this;
        if (values.Count > maxCount) Add(field, $"{field} may hold at most {maxCount} items.");
        if (values.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > maxLength))
            Add(field, $"each item of {field} must be 1 to {maxLength} characters.");
        return this;
    }

    public Checks Defined<TEnum>(string field, TEnum? value) where TEnum : struct, Enum
    {
        if (value is { } v && !Enum.IsDefined(v)) Add(field, $"{field} has an unknown value.");
        return this;
    }

    /// <summary>A reported time may run ahead of this server's clock by a few minutes (another machine's clock), not more.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The time, when given, is not later than <paramref name="now"/> plus <see cref="ClockSkew"/>.</summary>
    public Checks NotInFuture(string field, DateTimeOffset? value, DateTimeOffset now) =>
        That(!(value > now + ClockSkew), field, $"{field} cannot be in the future.");

    public Checks That(bool condition, string field, string error)
    {
        if (!condition) Add(field, error);
        return this;
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
            throw new ValidationFailedException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    private void Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(error);
    }
}
