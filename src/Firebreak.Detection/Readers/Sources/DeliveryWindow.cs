using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Which log files can hold events of a time window, judged from their names alone, so that a hunt with
/// <c>--since</c>/<c>--until</c> does not open (or, from S3, download) months of logs to keep an hour of them.
/// Two layouts carry a time in the name:
/// <list type="bullet">
/// <item>CloudTrail's <c>{account}_CloudTrail_{region}_{YYYYMMDDTHHmmZ}_{unique}.json[.gz]</c> (and
/// <c>CloudTrail-Insight</c> files, and digest files, whose time has seconds), where the time is the minute the
/// file was delivered: every event in it happened before the end of that minute. Delivery
/// usually follows within minutes but is not guaranteed, so a file is taken to hold events up to
/// <see cref="LateDelivery"/> older than its name says.</item>
/// <item>Azure Monitor's export to storage, <c>.../y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json</c>, which holds the
/// records processed in that hour: events of that hour, or up to <see cref="LateDelivery"/> older (an Entra sign-in is
/// timed by when it happened, and reaches the export later).</item>
/// </list>
/// Any other name may hold anything and is always read. The hunt still checks each event's own time; this
/// only spares reading files that cannot hold one of the window's events. Both ends get
/// <see cref="Slack"/> more, for clocks that disagree.
/// </summary>
public sealed partial record DeliveryWindow(DateTimeOffset? Since, DateTimeOffset? Until)
{
    /// <summary>How much older than its name's time an event in a CloudTrail file is still looked for.</summary>
    public static readonly TimeSpan LateDelivery = TimeSpan.FromHours(24);

    /// <summary>Added to both ends of a file's span.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(15);

    /// <summary>Whether the window has an end at all; without one every file and event is in it.</summary>
    public bool IsBounded => Since is not null || Until is not null;

    /// <summary>Whether an event of this time is in the window: at or after <see cref="Since"/>, before <see cref="Until"/>.</summary>
    public bool Contains(DateTimeOffset time) => (Since is not { } since || time >= since) && (Until is not { } until || time < until);

    /// <summary>False only when the name says the file holds no event at or after <see cref="Since"/> and before <see cref="Until"/>.</summary>
    public bool MayHold(string name)
    {
        // A digest holds no event, in the window or out of it: the reader passes it by, counted as a digest, and a hunt
        // of digests alone is no clean hunt, as it would be if they were counted as files outside the window.
        if (CloudTrailDigest.IsName(name) || SpanOf(name) is not var (earliest, latest))
        {
            return true;
        }

        return (Since is not { } since || Shift(latest, Slack) > since) && (Until is not { } until || Shift(earliest, -Slack) < until);
    }

    /// <summary><paramref name="time"/> moved by <paramref name="by"/>, held at the first or last representable time instead of failing there.</summary>
    public static DateTimeOffset Shift(DateTimeOffset time, TimeSpan by)
    {
        var ticks = time.UtcTicks;
        var moved = by >= TimeSpan.Zero
            ? (ticks > DateTimeOffset.MaxValue.UtcTicks - by.Ticks ? DateTimeOffset.MaxValue.UtcTicks : ticks + by.Ticks)
            : (ticks < DateTimeOffset.MinValue.UtcTicks - by.Ticks ? DateTimeOffset.MinValue.UtcTicks : ticks + by.Ticks);
        return new DateTimeOffset(moved, TimeSpan.Zero);
    }

    /// <summary>The earliest and latest event times a file of this name can hold, or null when the name says nothing.</summary>
    public static (DateTimeOffset Earliest, DateTimeOffset Latest)? SpanOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var file = LogInput.FileName(name).ToString();
        if (CloudTrailName().Match(file) is { Success: true } trail
            && DateTimeOffset.TryParseExact(trail.Groups["at"].Value, ["yyyyMMdd'T'HHmm'Z'", "yyyyMMdd'T'HHmmss'Z'"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var delivered))
        {
            return (Shift(delivered, -LateDelivery), Shift(delivered, TimeSpan.FromMinutes(1)));
        }

        if (AzureHourBlob().Match(name) is { Success: true } blob
            && DateTimeOffset.TryParseExact($"{blob.Groups["y"].Value}-{blob.Groups["mo"].Value}-{blob.Groups["d"].Value}T{blob.Groups["h"].Value}:00", "yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var hour))
        {
            // The blob's hour is its records' `time` (when Azure processed them); an Entra sign-in or audit event is timed by
            // when it happened (createdDateTime, activityDateTime), which can be hours earlier: as for CloudTrail, events up
            // to LateDelivery older than the hour are looked for.
            return (Shift(hour, -LateDelivery), Shift(hour, TimeSpan.FromHours(1)));
        }

        return null;
    }

    /// <summary>The inputs of <paramref name="source"/> that may hold events of this window; <paramref name="skipped"/> is told of each other one.</summary>
    public ILogInputSource Apply(ILogInputSource source, Action<LogInput> skipped) =>
        IsBounded ? new Windowed(source, this, skipped) : source;

    /// <summary>Log files (<c>_CloudTrail_</c>), Insights event files (<c>_CloudTrail-Insight_</c>) and digest files, whose time has seconds.</summary>
    [GeneratedRegex(@"^[0-9]{12}_(?:CloudTrail(?:-Insight)?_[^_]+_(?<at>[0-9]{8}T[0-9]{4}Z)_[^_]+|CloudTrail-Digest_.+_(?<at>[0-9]{8}T[0-9]{6}Z))\.json(\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex CloudTrailName();

    [GeneratedRegex(@"[/!]y=(?<y>[0-9]{4})/m=(?<mo>[0-9]{2})/d=(?<d>[0-9]{2})/h=(?<h>[0-9]{2})/m=[0-9]{2}/PT1H\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex AzureHourBlob();

    private sealed class Windowed(ILogInputSource inner, DeliveryWindow window, Action<LogInput> skipped) : ILogInputSource
    {
        public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var input in inner.ListAsync(report, cancellationToken).ConfigureAwait(false))
            {
                if (window.MayHold(input.Name))
                {
                    yield return input;
                }
                else
                {
                    skipped(input);
                }
            }
        }
    }
}
