using System.Globalization;
using System.Text;

namespace Firebreak.Detection.Simulation;

/// <summary>
/// The simulated organisation: accounts, people, workloads and addresses, all drawn from the seed.
/// Addresses come from the documentation ranges (RFC 5737), so no real host is ever named.
/// </summary>
internal sealed class World
{
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// The start of the hour holding <paramref name="time"/>, in UTC. (Its <c>Date</c> plus hours is a local-less DateTime,
    /// which turned back into a DateTimeOffset took the machine's zone: the logs changed with it, and sessions were used
    /// before they were made.)
    /// </summary>
    public static DateTimeOffset HourOf(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    public World(Random random)
    {
        Random = random;
        AwsAccount = Digits(12);
        // Named from the account, not drawn: a draw here would change every later choice a seed makes.
        AwsOrganization = "o-" + string.Concat(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(AwsAccount))
            .Take(10).Select(b => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]));
        PartnerAccount = Digits(12);
        AttackerAccount = Digits(12);
        AzureTenant = NewGuid();
        AzureSubscription = NewGuid();
        GcpProject = "acme-prod-" + Digits(4);
        Users =
        [
            NewUser("alice.devops", console: true),
            NewUser("bob.dev", console: true),
            NewUser("carol.sre", console: true),
            NewUser("svc-backup", console: false),
            NewUser("svc-reporting", console: false),
        ];
        InstanceId = "i-0" + Hex(16);
        InstanceSessionKey = "ASIA" + Key();
        CiSessionKey = "ASIA" + Key();
    }

    public Random Random { get; }

    /// <summary>The GCP service account the deployment pipeline runs as.</summary>
    public string DeployServiceAccount => $"terraform@{GcpProject}.iam.gserviceaccount.com";

    /// <summary>A person's Entra object id, derived from the tenant and the name (not drawn): the same on every event of theirs.</summary>
    public string EntraObjectId(string person)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(AzureTenant + "/" + person));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    public string AwsAccount { get; }

    public string PartnerAccount { get; }

    public string AttackerAccount { get; }

    public string AzureTenant { get; }

    public string AzureSubscription { get; }

    public string GcpProject { get; }

    public IReadOnlyList<AwsUser> Users { get; }

    public AwsUser LeakedUser => Users[3];

    public string InstanceId { get; }

    /// <summary>What the instance role's session keys are derived from: one key per session, see <see cref="InstanceSessionKeyAt"/>.</summary>
    public string InstanceSessionKey { get; }

    /// <summary>What the CI jobs' session keys are derived from, see <see cref="CiSessionKeyAt"/>.</summary>
    public string CiSessionKey { get; }

    /// <summary>
    /// The access key of the instance role's session made at <paramref name="created"/> (the instance's credentials are
    /// renewed each hour). A temporary key belongs to one session: a responder who follows a key must find one session's
    /// calls, not every hour's.
    /// </summary>
    public string InstanceSessionKeyAt(DateTimeOffset created) => SessionKey(InstanceSessionKey, created);

    /// <summary>The access key of the CI job's session made at <paramref name="created"/>.</summary>
    public string CiSessionKeyAt(DateTimeOffset created) => SessionKey(CiSessionKey, created);

    // Derived, not drawn: drawing would shift every later draw of the seed's sequence.
    private static string SessionKey(string basis, DateTimeOffset created)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{basis}/{created.UtcTicks}"));
        var key = new StringBuilder("ASIA", 20);
        for (var i = 0; i < 16; i++)
        {
            key.Append(Base32[hash[i] % Base32.Length]);
        }

        return key.ToString();
    }

    /// <summary>
    /// The account's own trail, the one the scenarios' attackers stop, delete or narrow. The logs written are the
    /// organization trail's (<see cref="AwsOrganization"/>), which a member account cannot change: it goes on recording
    /// what the attacker does next, as it would in a real organization.
    /// </summary>
    public string Trail => "management-events";

    /// <summary>The AWS organization whose trail delivers the logs (<c>AWSLogs/o-.../ACCOUNT/CloudTrail/...</c>).</summary>
    public string AwsOrganization { get; }

    public string[] Regions { get; } = ["us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-west-2"];

    public string[] Buckets { get; } = ["acme-prod-assets", "acme-customer-data", "acme-ci-artifacts", "acme-payroll-exports", "acme-web-logs"];

    public string[] CorporateIps { get; } = ["198.51.100.14", "198.51.100.27", "198.51.100.40", "198.51.100.61"];

    public string InstanceIp => "192.0.2.10";

    public string[] AttackerIps { get; } = ["203.0.113.66", "203.0.113.129", "203.0.113.201"];

    public string[] BrowserAgents { get; } =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ];

    public string[] CliAgents { get; } =
    [
        "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-49-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
        "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
        "Boto3/1.35.71 md/Botocore#1.35.71 ua/2.0 os/linux#6.8.0-49-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.71",
        "terraform-provider-aws/5.80.0 aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.195.0",
    ];

    public string[] AttackerAgents { get; } =
    [
        "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.6.9-amd64 md/distrib#kali.2024 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source",
        "Boto3/1.34.54 md/Botocore#1.34.54 ua/2.0 os/linux#6.6.9-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.54 Resource",
    ];

    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    public bool Chance(double probability) => Random.NextDouble() < probability;

    public string NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    public string Digits(int count)
    {
        var text = new StringBuilder(count);
        text.Append((char)('1' + Random.Next(9)));
        for (var i = 1; i < count; i++)
        {
            text.Append((char)('0' + Random.Next(10)));
        }

        return text.ToString();
    }

    public string Hex(int count)
    {
        var text = new StringBuilder(count);
        for (var i = 0; i < count; i++)
        {
            text.Append("0123456789abcdef"[Random.Next(16)]);
        }

        return text.ToString();
    }

    /// <summary>The 16 characters after an access key id's AKIA/ASIA prefix.</summary>
    public string Key() => From(Base32, 16);

    public string RequestId() => From("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16);

    public string Suffix() => From(Alnum, 16);

    private string From(string alphabet, int count)
    {
        var text = new StringBuilder(count);
        for (var i = 0; i < count; i++)
        {
            text.Append(alphabet[Random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }

    private AwsUser NewUser(string name, bool console) => new(
        name,
        "AIDA" + Key(),
        $"arn:aws:iam::{AwsAccount}:user/{name}",
        "AKIA" + Key(),
        console);

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

internal sealed record AwsUser(string Name, string PrincipalId, string Arn, string AccessKeyId, bool Console);
