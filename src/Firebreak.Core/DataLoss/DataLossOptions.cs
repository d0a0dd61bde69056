using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.DataLoss;

/// <summary>
/// A notification regime: a clock of <see cref="Hours"/> that starts when a resource holding personal
/// data (if <see cref="PersonalData"/>) or data under one of <see cref="Regulations"/> is in the extent.
/// </summary>
public sealed record NotificationRegime(string Name, string Authority, int Hours, bool PersonalData, IReadOnlyList<string> Regulations)
{
    public bool AppliesTo(bool personalData, IReadOnlyList<string> regulations) =>
        (PersonalData && personalData) || regulations.Any(r => Regulations.Contains(r, StringComparer.OrdinalIgnoreCase));
}

/// <summary>Settings under <c>Firebreak:DataLoss</c>.</summary>
public sealed record DataLossOptions
{
    /// <summary>The defaults, documented in docs/data-loss.md; configured regimes replace them all.</summary>
    public static readonly IReadOnlyList<NotificationRegime> DefaultRegimes =
    [
        new("GDPR Art. 33", "the lead supervisory authority", 72, PersonalData: true, ["gdpr"]),
        new("UK GDPR Art. 33", "the ICO", 72, PersonalData: false, ["uk-gdpr"]),
        new("NIS2 early warning", "the CSIRT or competent authority", 24, PersonalData: false, ["nis2"]),
        new("HIPAA breach notification", "affected individuals and HHS", 60 * 24, PersonalData: false, ["hipaa"]),
    ];

    public IReadOnlyList<NotificationRegime> Regimes { get; init; } = DefaultRegimes;

    /// <summary>Sharing, exposure and export events read one by one; more than this and the extent says it is incomplete.</summary>
    public int MaxChangeEvents { get; init; } = 10_000;

    /// <summary>Accessors kept per resource, busiest first.</summary>
    public int MaxAccessorsPerResource { get; init; } = 25;

    public static DataLossOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Firebreak:DataLoss");
        var regimes = section.GetSection("Regimes").GetChildren()
            .Select(r => new NotificationRegime(
                r["Name"] is { Length: > 0 } name ? name : throw new InvalidOperationException($"Firebreak:DataLoss:Regimes:{r.Key}:Name is required."),
                r["Authority"] ?? "the competent authority",
                r.GetValue<int?>("Hours") is { } hours and > 0 and <= 24 * 366 ? hours : throw new InvalidOperationException($"Firebreak:DataLoss:Regimes:{r.Key}:Hours must be 1 to {24 * 366}."),
                r.GetValue("PersonalData", false),
                [.. (r.GetSection("Regulations").Get<string[]>() ?? []).Select(x => x.Trim().ToLowerInvariant())]))
            .ToList();
        return new DataLossOptions
        {
            Regimes = regimes.Count > 0 ? regimes : DefaultRegimes,
            MaxChangeEvents = Math.Clamp(section.GetValue("MaxChangeEvents", 10_000), 100, 1_000_000),
            MaxAccessorsPerResource = Math.Clamp(section.GetValue("MaxAccessorsPerResource", 25), 1, 1_000),
        };
    }
}
