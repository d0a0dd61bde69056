namespace Firebreak.Detection.Simulation;

/// <summary>
/// Writes realistic audit logs of a named attack hidden in benign background activity. The output
/// depends only on the options: the same seed gives byte-identical files.
/// </summary>
public static class AttackSimulator
{
    public static IReadOnlyList<string> Scenarios { get; } = ["leaked-access-key", "compromised-instance-role", "public-bucket-exposure", "stolen-azure-session", "leaked-gcp-service-account-key"];

    /// <summary>One line per scenario, for help text.</summary>
    public static string Describe(string scenario) => scenario switch
    {
        "leaked-access-key" => "An IAM user's access key is used from outside: discovery, AdministratorAccess attached, a backdoor user and key, CloudTrail stopped and deleted, GuardDuty removed, then bulk S3 downloads and a snapshot shared out.",
        "compromised-instance-role" => "An EC2 instance role's session is used from outside the instance: discovery, secrets read, an inline admin policy on the role, a new user with a key, event selectors narrowed, then S3 downloads.",
        "public-bucket-exposure" => "An engineer turns off a bucket's public access block and grants public read by policy and ACL; anonymous clients then list and download its objects.",
        "stolen-azure-session" => "An Azure administrator's stolen session is replayed from outside (Azure Activity): access elevated, an Owner role assigned, storage keys listed, a command run on a VM, then its disk and snapshots exported.",
        "leaked-gcp-service-account-key" => "A GCP deployment service account's leaked key is used from outside (Cloud Audit Logs): a second key made, the project's IAM policy changed, the audit log sink deleted, a bucket opened, then disks snapshotted.",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario"),
    };

    public static async Task<SimulationResult> RunAsync(SimulationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var world = new World(new Random(options.Seed));
        var scenario = Scenario.Create(options.Scenario, world);
        var attackTarget = Math.Min(options.Events, (int)Math.Round(options.Events * (1 - options.Noise)));

        // The attack starts a third of the way in, so there is quiet activity before and after it.
        var attackStart = options.Start + (options.Duration * 0.35) + TimeSpan.FromSeconds(world.Random.Next(600));
        var attack = scenario.Build(attackStart, attackTarget);
        var backgroundCount = Math.Max(0, options.Events - attack.Count);

        var offsets = new long[backgroundCount];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = world.Random.NextInt64(options.Duration.Ticks);
        }

        Array.Sort(offsets);
        var background = new BackgroundActivity(world, options.OtherCloudsShare);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        Directory.CreateDirectory(options.OutputDirectory);

        var writer = new LogFileWriter(options.OutputDirectory, world, options.Compress);
        await using (writer.ConfigureAwait(false))
        {
            var a = 0;
            foreach (var offset in offsets)
            {
                var time = options.Start.AddTicks(offset);
                while (a < attack.Count && attack[a].Event.Time <= time)
                {
                    await WriteAsync(attack[a++].Event).ConfigureAwait(false);
                }

                await WriteAsync(background.Next(time)).ConfigureAwait(false);
            }

            while (a < attack.Count)
            {
                await WriteAsync(attack[a++].Event).ConfigureAwait(false);
            }
        }

        return new SimulationResult
        {
            Scenario = options.Scenario,
            Files = writer.Files,
            TotalEvents = counts.Values.Sum(),
            EventsBySource = counts,
            // The logs write times to the second; the steps say the same times, so they can be hunted with --since/--until.
            AttackSteps = [.. attack.Select(s => Step(s.Event, s.Tactic))],
            AwsAccountId = world.AwsAccount,
            AttackedCloud = attack.Count == 0 ? "aws" : attack[0].Event.Cloud switch { SimCloud.Azure => "azure", SimCloud.Gcp => "gcp", _ => "aws" },
            InitialAccess = scenario.InitialAccess,
            AttackerIps = world.AttackerIps,
        };

        // A step names the service and operation as a hunt over the written logs shows them: an Azure Activity export
        // writes its operation in upper case, and its service is the resource provider.
        static SimulatedStep Step(SimEvent e, string tactic) => e switch
        {
            TrailEvent t => new SimulatedStep(t.EventId, WholeSeconds(t.Time), tactic, t.Source, t.Name),
            AzureActivityEvent a => new SimulatedStep(a.EventId, WholeSeconds(a.Time), tactic, a.Operation.Split('/')[0].ToUpperInvariant(), a.Operation.ToUpperInvariant()),
            GcpAuditEvent g => new SimulatedStep(g.EventId, WholeSeconds(g.Time), tactic, g.Service, g.Method),
            _ => throw new InvalidOperationException($"no step for {e.GetType().Name}"),
        };

        static DateTimeOffset WholeSeconds(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

        async Task WriteAsync(SimEvent simEvent)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await writer.WriteAsync(simEvent, cancellationToken).ConfigureAwait(false);
            var source = simEvent.Cloud switch
            {
                SimCloud.Aws => "cloudtrail",
                SimCloud.Azure => "activitylogs",
                _ => "gcp.audit",
            };
            counts[source] = counts.GetValueOrDefault(source) + 1;
        }
    }
}
