using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>Where and how to reach S3 or an S3-compatible server.</summary>
public sealed record S3SourceOptions
{
    /// <summary>An S3-compatible endpoint such as <c>http://127.0.0.1:9000</c>; null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>
    /// Bucket names in the path rather than the host name, as most S3-compatible servers need; null means so with a
    /// <see cref="ServiceUrl"/>, and the host name (AWS's own addressing, which reaches a bucket in any region) without.
    /// </summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>
    /// How long a request may wait for the server's answer to begin (a listing page, an object's first bytes), and how long
    /// an object's body may then go without a byte. The SDK sets no limit of its own: a server that took the connection
    /// and never answered, or went quiet halfway through an object, held the hunt for good.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Explicit keys; when null the SDK's default credential chain is used.</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }
}

/// <summary>
/// Every object under a bucket prefix, listed page by page with ListObjectsV2 and streamed with GetObject.
/// With a time <paramref name="window"/>, the keys of CloudTrail's region folders (<c>.../CloudTrail/us-east-1/</c>,
/// also <c>CloudTrail-Digest</c> and <c>CloudTrail-Insight</c>), which are <c>YYYY/MM/DD/...</c> by day of delivery,
/// are listed only for the days whose files may hold events of the window (<see cref="DeliveryWindow"/>): the listing
/// starts at the first day that can hold the window and, at a day past the last, jumps over the rest of that year.
/// Years of trail are not listed to hunt a day. A key put by hand among skipped day folders is skipped with them;
/// keys before the first day folder, after the last year, and outside region folders are listed, as without a window.
/// </summary>
public sealed partial class S3LogInputSource(IAmazonS3 client, string bucket, string? prefix = null, DeliveryWindow? window = null) : ILogInputSource
{
    public static IAmazonS3 CreateClient(S3SourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config { ForcePathStyle = options.ForcePathStyle ?? options.ServiceUrl is not null, Timeout = options.Timeout };
        if (options.ServiceUrl is not null)
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.AccessKeyId is null || options.SecretAccessKey is null)
        {
            return new AmazonS3Client(config);
        }

        AWSCredentials credentials = options.SessionToken is null
            ? new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey)
            : new SessionAWSCredentials(options.AccessKeyId, options.SecretAccessKey, options.SessionToken);
        return new AmazonS3Client(credentials, config);
    }

    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (window is not { IsBounded: true } times)
        {
            await foreach (var input in ListAsync(new Listing(prefix, null), static _ => false, report, cancellationToken).ConfigureAwait(false))
            {
                yield return input;
            }

            yield break;
        }

        var first = times.Since is { } since ? DayOf(DeliveryWindow.Shift(since, -(DeliveryWindow.Slack + TimeSpan.FromMinutes(1)))) : null;
        var last = times.Until is { } until ? DayOf(DeliveryWindow.Shift(until, DeliveryWindow.LateDelivery + DeliveryWindow.Slack)) : null;
        var ignoresStartAfter = new ReadProblem($"s3://{bucket}/{prefix}", null, null,
            "the server does not start listings after the key it is given, so the days outside --since/--until cannot be skipped; listing stopped. Hunt without --since and --until to read every key") { EndsInput = true };
        string? after = null;
        while (true)
        {
            // Keys come in order: the first key met in a day folder of a CloudTrail region folder ends this listing.
            var listing = new Listing(prefix, after);
            await foreach (var input in ListAsync(listing, key => RegionFolderOf(key) is not null, report, cancellationToken).ConfigureAwait(false))
            {
                after = listing.LastKey;
                yield return input;
            }

            if (listing.StoppedAt is not { } met)
            {
                if (listing.IgnoredStartAfter)
                {
                    report(ignoresStartAfter);
                }

                yield break;
            }

            var folder = RegionFolderOf(met)!;

            // The folder's days of the window, from the first that can hold it (never before the key met); a day
            // folder past the last ends that year's days, and the keys after them are listed as usual. The prefix
            // may reach into the folder (.../us-east-1/2026/).
            var start = first is not null && CompareAsS3(folder + first, met) > 0 ? folder + first : after;
            var within = prefix is not null && prefix.Length > folder.Length ? prefix : folder;
            while (true)
            {
                var days = new Listing(within, start);
                await foreach (var input in ListAsync(days, key => last is not null && DayOf(key, folder) is { } day && string.CompareOrdinal(day, last) > 0, report, cancellationToken).ConfigureAwait(false))
                {
                    yield return input;
                }

                if (days.IgnoredStartAfter)
                {
                    report(ignoresStartAfter);
                    yield break;
                }

                if (days.StoppedAt is not { } late)
                {
                    break;
                }

                start = late[..(folder.Length + 4)] + "/" + LastChar;
            }

            // Past every key that starts with the folder's name.
            after = folder + LastChar;
        }
    }

    /// <summary>
    /// Orders keys as S3 lists them: by UTF-8 bytes, which is by code point. Ordinal string comparison orders by
    /// UTF-16 units instead, which puts characters beyond U+FFFF before U+E000 to U+FFFF.
    /// </summary>
    internal static int CompareAsS3(string a, string b)
    {
        var left = a.EnumerateRunes();
        var right = b.EnumerateRunes();
        while (true)
        {
            var more = left.MoveNext();
            if (more != right.MoveNext())
            {
                return more ? 1 : -1;
            }

            if (!more)
            {
                return 0;
            }

            if (left.Current.Value != right.Current.Value)
            {
                return left.Current.Value.CompareTo(right.Current.Value);
            }
        }
    }

    /// <summary>Sorts after every character a key holds, so <c>folder + LastChar</c> comes after each key in the folder.</summary>
    private static readonly string LastChar = char.ConvertFromUtf32(0x10FFFF);

    /// <summary>The CloudTrail region folder (<c>.../CloudTrail/us-east-1/</c>) of a key in a <c>YYYY/MM/DD/</c> folder under it, or null.</summary>
    private static string? RegionFolderOf(string key) => CloudTrailDayKey().Match(key) is { Success: true } match ? match.Groups["folder"].Value : null;

    /// <summary>The <c>YYYY/MM/DD</c> of a key in a day folder of <paramref name="folder"/>, or null for any other key.</summary>
    private static string? DayOf(string key, string folder) =>
        key.Length > folder.Length + 11 && key.StartsWith(folder, StringComparison.Ordinal) && RegionFolderOf(key) == folder ? key.Substring(folder.Length, 10) : null;

    private static string DayOf(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy'/'MM'/'dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One listing: its prefix, the key it starts after, the last key it gave, and the key that ended it early, if one did.</summary>
    private sealed class Listing(string? prefix, string? startAfter)
    {
        public string? Prefix { get; } = prefix;

        public string? StartAfter { get; } = startAfter;

        public string? LastKey { get; set; }

        public string? StoppedAt { get; set; }

        /// <summary>The server gave a key that does not come after <see cref="StartAfter"/>: it ignores where to start.</summary>
        public bool IgnoredStartAfter { get; set; }
    }

    /// <summary>The objects of one listing, page by page, until <paramref name="stop"/> says a key is not to be listed there.</summary>
    private async IAsyncEnumerable<LogInput> ListAsync(Listing listing, Func<string, bool> stop, Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = listing.Prefix, StartAfter = listing.StartAfter };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Refused by the service, no credentials found, or an endpoint that cannot be reached: a problem with
                // this input, reported like a missing file.
                var reason = ex is AmazonServiceException refused ? $"{refused.ErrorCode ?? refused.StatusCode.ToString()}: {refused.Message}" : ex.GetBaseException().Message;
                report(new ReadProblem($"s3://{bucket}/{listing.Prefix}", null, null, $"cannot list objects: {reason}") { EndsInput = true });
                yield break;
            }

            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key.EndsWith('/'))
                {
                    continue;
                }

                if (listing.StartAfter is not null && CompareAsS3(item.Key, listing.StartAfter) <= 0)
                {
                    listing.IgnoredStartAfter = true;
                    yield break;
                }

                if (stop(item.Key))
                {
                    listing.StoppedAt = item.Key;
                    yield break;
                }

                var key = item.Key;
                listing.LastKey = key;
                yield return new LogInput($"s3://{bucket}/{key}", ct => OpenAsync(key, ct));
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    [GeneratedRegex(@"^(?<folder>(?:.*/)?CloudTrail(?:-Digest|-Insight)?/[a-z]{2}(?:-[a-z]+)+-[0-9]+/)[0-9]{4}/[0-9]{2}/[0-9]{2}/", RegexOptions.CultureInvariant)]
    private static partial Regex CloudTrailDayKey();

    /// <summary>How long an object's body may go without a byte when the client sets no time limit of its own (an infinite one is kept).</summary>
    internal static readonly TimeSpan DefaultIdleLimit = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan SdkUnset = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>
    /// The object's body, which fails when no byte comes for the client's time limit (<see cref="S3SourceOptions.Timeout"/>):
    /// the SDK times an answer's start, not a stall halfway through it.
    /// </summary>
    private async Task<Stream> OpenAsync(string key, CancellationToken cancellationToken)
    {
        var response = await client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        return client.Config.Timeout switch
        {
            // A client told to wait for ever is not hurried here either.
            { } timeout when timeout == System.Threading.Timeout.InfiniteTimeSpan => response.ResponseStream,
            // The SDK's own "none" (a client not given one) is its largest: such a client gets two minutes.
            { } timeout when timeout > TimeSpan.Zero && timeout < SdkUnset => new IdleTimeoutStream(response.ResponseStream, timeout, $"s3://{bucket}/{key}"),
            _ => new IdleTimeoutStream(response.ResponseStream, DefaultIdleLimit, $"s3://{bucket}/{key}"),
        };
    }
}
