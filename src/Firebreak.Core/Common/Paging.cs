namespace Firebreak.Core.Common;

/// <summary>A page of results. When <see cref="TotalIsLowerBound"/> is set, more than <see cref="Total"/> items match and counting them all was not worth the wait.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total, bool TotalIsLowerBound = false);

public static class Paging
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 200;

    /// <summary>How many pages <paramref name="total"/> items fill; at least one, so an empty result reads "page 1 of 1".</summary>
    public static int PageCount(int total, int pageSize) => Math.Max(1, (int)Math.Ceiling(total / (double)pageSize));

    public static (int Page, int PageSize) Normalise(int? page, int? pageSize)
    {
        var p = page ?? 1;
        var s = pageSize ?? DefaultPageSize;
        var errors = new Dictionary<string, string[]>();
        if (p < 1) errors["page"] = ["page must be 1 or more."];
        if (s < 1 || s > MaxPageSize) errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        if (errors.Count > 0) throw new ValidationFailedException(errors);
        return (p, s);
    }
}
