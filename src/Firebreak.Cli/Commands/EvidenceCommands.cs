using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Firebreak.Cli.Client;
using Firebreak.Core.Evidence;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>The evidence register and chain of custody of an incident, over the server's HTTP API.</summary>
internal static class EvidenceCommands
{
    private static readonly string[] FileKinds = ["file", "log-set", "memory-image", "screenshot"];

    // Collected and exported are written by the server itself (on add and on export), never by hand.
    private static readonly string[] RecordableEvents = ["accessed", "received", "transferred", "copied", "returned", "disposed"];

    /// <summary>Long enough for a multi-gigabyte disk image on a slow link; Ctrl+C still stops it.</summary>
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromHours(6);

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var evidence = catalog.Create("evidence",
            $"Add evidence to an incident, record its chain of custody, verify it, and export it as a bundle that verifies offline. Authenticate with an API key in {IncidentCommands.KeyVariable} (preferred) or --api-key.",
            $"export {IncidentCommands.KeyVariable}=fbk_...; firebreak evidence add INC-2026-0042 cloudtrail.json.gz --source \"CloudTrail, prod account\"");
        var connection = new Connection(context);
        evidence.Add(connection.Server);
        evidence.Add(connection.ApiKey);
        evidence.Add(Add(connection, catalog));
        evidence.Add(AddSnapshot(connection, catalog));
        evidence.Add(List(connection, catalog));
        evidence.Add(Custody(connection, catalog));
        evidence.Add(Record(connection, catalog));
        evidence.Add(Verify(connection, catalog));
        evidence.Add(Export(connection, catalog));
        evidence.Add(Download(connection, catalog));
        return evidence;
    }

    private static Command Add(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add",
            "Upload a file as evidence. The file is streamed, never held in memory, and hashed on the way; the server's SHA-256 must match the one computed here, or the command fails.",
            "firebreak evidence add INC-2026-0042 cloudtrail.json.gz --source \"CloudTrail, prod account\" --kind log-set",
            "firebreak evidence add INC-2026-0042 mem.lime --source \"i-0abc123 via SSM\" --kind memory-image --acquired 2026-03-01T10:15:00Z --json");
        var incident = CliArguments.Incident("incident");
        var file = new Argument<string>("file") { Description = "The file to upload." };
        var source = new Option<string>("--source") { Description = "Where the evidence came from (host, account, service).", Required = true, HelpName = "TEXT" };
        var name = new Option<string?>("--name") { Description = "Name in the register (default: the file's name).", HelpName = "NAME" };
        var kind = Choice("--kind", "What the file is (default file)", FileKinds);
        var acquired = new Option<string?>("--acquired") { Description = "When it was acquired, ISO 8601 (default: now).", HelpName = "TIME" };
        var description = new Option<string?>("--description") { Description = "What it is and why it matters.", HelpName = "TEXT" };
        var location = new Option<string?>("--location") { Description = "Where it is kept, for the first custody entry.", HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(file);
        foreach (var option in new Option[] { source, name, kind, acquired, description, location, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file: {path}");
            var acquiredAt = parseResult.GetValue(acquired) is { } text ? ParseTime(text) : (DateTimeOffset?)null;
            var query = IncidentCommands.Query(
                ("name", parseResult.GetValue(name) ?? Path.GetFileName(path)), ("kind", parseResult.GetValue(kind)),
                ("source", parseResult.GetValue(source)), ("acquiredAt", acquiredAt?.ToString("O", CultureInfo.InvariantCulture)),
                ("description", parseResult.GetValue(description)), ("location", parseResult.GetValue(location)));

            using var client = connection.Open(parseResult, TransferTimeout);
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            // Owned here, not by the stream: the HTTP request disposes its content once sent.
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var hashing = new HashingStream(stream, sha256);
            var response = await connection.Context.WithStatusAsync($"Uploading {Path.GetFileName(path)}",
                () => client.PostStreamAsync($"api/v1/incidents/{Escape(parseResult.GetValue(incident)!)}/evidence{query}", hashing, stream.Length, cancellationToken));
            var item = response.Read<EvidenceView>();
            var local = Convert.ToHexStringLower(sha256.GetCurrentHash());
            if (!string.Equals(item.Sha256, local, StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException(ExitCodes.Refused,
                    $"The server stored {item.Name} (id {item.Id}) with SHA-256 {item.Sha256}, but the file sent hashes to {local}. The upload was altered on the way or the file changed while it was read; add it again and record the failed copy in the incident.");
            }
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var console = connection.Context.Console;
            console.MarkupLine($"Added [bold]{Markup.Escape(item.Name)}[/] ({item.Size:N0} bytes); the SHA-256 matches the file sent.");
            WriteItem(console, item);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command AddSnapshot(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add-snapshot",
            "Register a cloud disk snapshot as evidence. Firebreak keeps a reference; the bytes stay with the cloud provider.",
            "firebreak evidence add-snapshot INC-2026-0042 --snapshot-id snap-0123456789abcdef0 --region eu-west-1 --account 111122223333 --source-volume vol-0abc");
        var incident = CliArguments.Incident("incident");
        var snapshotId = new Option<string>("--snapshot-id") { Description = "The provider's snapshot id.", Required = true, HelpName = "ID" };
        var region = new Option<string>("--region") { Description = "The region holding the snapshot.", Required = true, HelpName = "REGION" };
        var account = new Option<string>("--account") { Description = "The account, subscription or project holding the snapshot.", Required = true, HelpName = "ACCOUNT" };
        var name = new Option<string?>("--name") { Description = "Name in the register (default: the snapshot id).", HelpName = "NAME" };
        var sourceVolume = new Option<string?>("--source-volume") { Description = "The volume the snapshot was taken from.", HelpName = "ID" };
        var createdBy = new Option<string?>("--created-by-action") { Description = "The response action that took the snapshot.", HelpName = "ID" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { snapshotId, region, account, name, sourceVolume, createdBy, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var id = parseResult.GetValue(snapshotId)!;
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Escape(parseResult.GetValue(incident)!)}/evidence/snapshots", new
            {
                name = parseResult.GetValue(name) ?? id,
                snapshotId = id,
                region = parseResult.GetValue(region),
                account = parseResult.GetValue(account),
                sourceVolume = parseResult.GetValue(sourceVolume),
                createdByAction = parseResult.GetValue(createdBy),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var item = response.Read<EvidenceView>();
            connection.Context.Console.MarkupLine($"Registered snapshot [bold]{Markup.Escape(id)}[/].");
            WriteItem(connection.Context.Console, item);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List an incident's evidence register.",
            "firebreak evidence list INC-2026-0042",
            "firebreak evidence list INC-2026-0042 --json | jq -r '.[] | [.id, .sha256] | @tsv'");
        var incident = CliArguments.Incident("incident");
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Escape(parseResult.GetValue(incident)!)}/evidence", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var items = response.Read<List<EvidenceView>>();
            var console = connection.Context.Console;
            if (items.Count == 0)
            {
                console.WriteLine("No evidence recorded.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Id", "Name", "Kind", "Size", "SHA-256 / snapshot", "Source", "Holder", "Last event", "Acquired (UTC)");
            foreach (var i in items)
            {
                table.AddRow(i.Id.ToString(), i.Name, IncidentCommands.Name(i.Kind),
                    i.Sha256 is null ? "-" : i.Size.ToString("N0", CultureInfo.InvariantCulture),
                    i.Sha256 ?? $"{i.SnapshotId} ({i.SnapshotRegion}, {i.SnapshotAccount})",
                    i.Source, i.Holder, IncidentCommands.Name(i.LastEvent), IncidentCommands.Time(i.AcquiredAt));
            }
            console.Write(table);
            console.WriteLine($"{items.Count} item(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Custody(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("custody", "Show an incident's chain of custody, every entry in order.",
            "firebreak evidence custody INC-2026-0042",
            "firebreak evidence custody INC-2026-0042 --json");
        var incident = CliArguments.Incident("incident");
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Escape(parseResult.GetValue(incident)!)}/custody", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            WriteChain(connection.Context.Console, response.Read<List<CustodyView>>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Record(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("record",
            "Record a custody event for one evidence item. A transfer names the recipient; after 'disposed' the item's chain is closed.",
            "firebreak evidence record 3f2b... --event transferred --location \"Evidence safe B\" --reason \"Handed to legal\" --recipient \"Dana Legal\"",
            "firebreak evidence record 3f2b... --event accessed --location \"Analysis VM\" --reason \"Timeline review\"");
        var id = EvidenceIdArgument();
        var @event = Choice("--event", "What happened", RecordableEvents);
        @event.Required = true;
        var location = new Option<string>("--location") { Description = "Where the item is now.", Required = true, HelpName = "TEXT" };
        var reason = new Option<string>("--reason") { Description = "Why; kept in the chain.", Required = true, HelpName = "TEXT" };
        var recipient = new Option<string?>("--recipient") { Description = "Who received it (required for transferred).", HelpName = "NAME" };
        var json = IncidentCommands.JsonOption();
        command.Add(id);
        foreach (var option in new Option[] { @event, location, reason, recipient, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/evidence/{parseResult.GetValue(id)}/custody", new
            {
                @event = parseResult.GetValue(@event),
                location = parseResult.GetValue(location),
                reason = parseResult.GetValue(reason),
                recipient = parseResult.GetValue(recipient),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var chain = response.Read<List<CustodyView>>();
            var last = chain.LastOrDefault();
            connection.Context.Console.MarkupLine(last is null
                ? "Recorded."
                : $"Recorded entry [bold]#{last.Sequence}[/]: {Markup.Escape(IncidentCommands.Name(last.Event))} at {Markup.Escape(last.Location)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("verify",
            "Check an incident's evidence on the server (every file rehashed, the custody chain relinked), or check an exported bundle offline with --bundle, no server needed. Exits 1 naming every item or custody entry that fails; with --bundle, exits 2 when the file is not a readable bundle.",
            "firebreak evidence verify INC-2026-0042",
            "firebreak evidence verify --bundle INC-2026-0042-evidence.zip --json");
        var incident = new Argument<string?>("incident") { Description = "Incident reference (e.g. INC-2026-0042) or id; leave out with --bundle.", Arity = ArgumentArity.ZeroOrOne };
        var bundle = new Option<string?>("--bundle") { Description = "An exported bundle (.zip) to verify offline.", HelpName = "FILE" };
        var json = new Option<bool>("--json") { Description = "Print the verification report as JSON." };
        command.Add(incident);
        command.Add(bundle);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var reference = parseResult.GetValue(incident);
            var bundlePath = parseResult.GetValue(bundle);
            if ((reference is null) == (bundlePath is null))
                throw new CliException(ExitCodes.Usage, "Give an incident to verify on the server, or --bundle FILE to verify a bundle offline, not both.");

            string reportJson;
            VerificationReport report;
            if (bundlePath is not null)
            {
                report = await VerifyBundleAsync(bundlePath, cancellationToken);
                reportJson = JsonSerializer.Serialize(report, FirebreakClient.Json);
            }
            else
            {
                using var client = connection.Open(parseResult, TransferTimeout);
                var response = await connection.Context.WithStatusAsync("Verifying evidence",
                    () => client.PostAsync($"api/v1/incidents/{Escape(reference!)}/evidence/verify", new { }, cancellationToken));
                reportJson = response.Json;
                report = response.Read<VerificationReport>();
            }

            if (parseResult.GetValue(json)) connection.Context.Output.WriteLine(reportJson);
            else WriteReport(connection.Context.Console, report);
            if (!report.Ok) throw new CliException(ExitCodes.Refused, "Verification failed: " + Failures(report) + ".");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Export(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("export",
            "Export an incident's evidence as a zip bundle (files, manifest with hashes, custody chain) that 'firebreak evidence verify --bundle' checks offline. The export is itself a custody event, so it needs a reason.",
            "firebreak evidence export INC-2026-0042 --reason \"Copy for outside counsel\" --out INC-2026-0042-evidence.zip");
        var incident = CliArguments.Incident("incident");
        var reason = ReasonOption();
        var output = OutOption("Where to write the zip.");
        var force = ForceOption();
        command.Add(incident);
        foreach (var option in new Option[] { reason, output, force }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = parseResult.GetValue(output)!;
            using var client = connection.Open(parseResult, TransferTimeout);
            var size = await SaveAsync(connection.Context, target, parseResult.GetValue(force), "Exporting evidence", client,
                FirebreakClient.Post($"api/v1/incidents/{Escape(parseResult.GetValue(incident)!)}/evidence/export", new { reason = parseResult.GetValue(reason) }),
                cancellationToken);
            connection.Context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(target)}[/] ({size:N0} bytes). Check it with 'firebreak evidence verify --bundle {Markup.Escape(target)}'.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Download(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("download",
            "Download one evidence file. Every download is recorded in the chain of custody, so it needs a reason.",
            "firebreak evidence download 3f2b... --reason \"Timeline analysis\" --out cloudtrail.json.gz");
        var id = EvidenceIdArgument();
        var reason = ReasonOption();
        var output = OutOption("Where to write the file.");
        var force = ForceOption();
        command.Add(id);
        foreach (var option in new Option[] { reason, output, force }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = parseResult.GetValue(output)!;
            using var client = connection.Open(parseResult, TransferTimeout);
            var size = await SaveAsync(connection.Context, target, parseResult.GetValue(force), "Downloading evidence", client,
                FirebreakClient.Get($"api/v1/evidence/{parseResult.GetValue(id)}/content" + IncidentCommands.Query(("reason", parseResult.GetValue(reason)))),
                cancellationToken);
            connection.Context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(target)}[/] ({size:N0} bytes).");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Offline: reads nothing but the zip. Anything that is not a bundle is an input error, not a failed check.</summary>
    private static async Task<VerificationReport> VerifyBundleAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file: {path}");
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.Asynchronous);
            return await EvidenceBundle.VerifyAsync(stream, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or NotSupportedException)
        {
            throw new CliException(ExitCodes.Usage, $"{path} is not a readable evidence bundle: {e.Message}");
        }
    }

    /// <summary>
    /// Written to a temporary file beside the target and renamed at the end, so an interrupted transfer
    /// never leaves a truncated file under the name a later step would trust.
    /// </summary>
    internal static async Task<long> SaveAsync(CliContext context, string target, bool force, string status, FirebreakClient client,
        HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(target);
        if (File.Exists(full) && !force)
        {
            request.Dispose();
            throw new CliException(ExitCodes.Usage, $"{target} already exists. Choose another --out, or pass --force to replace it.");
        }
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            request.Dispose();
            throw new CliException(ExitCodes.Usage, $"The folder {directory} does not exist.");
        }
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.part");
        try
        {
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024, FileOptions.Asynchronous))
            {
                size = await context.WithStatusAsync(status, () => client.DownloadAsync(request, file, cancellationToken));
            }
            File.Move(temp, full, overwrite: force);
            return size;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static string Failures(VerificationReport report) => string.Join("; ",
        report.Items.Where(i => !i.Ok).Select(i => $"item '{i.Name}' ({i.Id}): {i.Problem}")
            .Concat(report.Chain.Select(c => $"custody entry #{c.Sequence}: {c.Problem}")));

    private static void WriteReport(IAnsiConsole console, VerificationReport report)
    {
        if (report.Items.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Item", "Id", "Result");
            foreach (var i in report.Items)
                table.AddRow(new Text(i.Name), new Text(i.Id.ToString()), i.Ok ? new Markup("[green]ok[/]") : new Markup($"[red]FAILED[/] {Markup.Escape(i.Problem ?? "")}"));
            console.Write(table);
        }
        foreach (var c in report.Chain) console.MarkupLine($"[red]Custody entry #{c.Sequence}:[/] {Markup.Escape(c.Problem)}");
        console.WriteLine(report.Ok
            ? $"Verified: {report.Items.Count} item(s) match their hashes and the chain of custody is intact."
            : $"Verification FAILED: {report.Items.Count(i => !i.Ok)} item(s) and {report.Chain.Count} custody entry problem(s).");
    }

    private static void WriteItem(IAnsiConsole console, EvidenceView i)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string? value) => grid.AddRow(new Text(label), new Text(value ?? "-"));
        Row("Id", i.Id.ToString());
        Row("Name", i.Name);
        Row("Kind", IncidentCommands.Name(i.Kind));
        if (i.Sha256 is not null)
        {
            Row("Size", i.Size.ToString("N0", CultureInfo.InvariantCulture) + " bytes");
            Row("SHA-256", i.Sha256);
            Row("SHA-1", i.Sha1);
            Row("MD5", i.Md5);
        }
        else
        {
            Row("Snapshot", i.SnapshotId);
            Row("Region", i.SnapshotRegion);
            Row("Account", i.SnapshotAccount);
            if (i.SourceVolume is not null) Row("Source volume", i.SourceVolume);
            if (i.CreatedByAction is not null) Row("Created by", i.CreatedByAction);
        }
        Row("Source", i.Source);
        Row("Collected by", i.CollectedBy);
        Row("Acquired", IncidentCommands.Time(i.AcquiredAt));
        Row("Holder", i.Holder);
        console.Write(grid);
    }

    private static void WriteChain(IAnsiConsole console, IReadOnlyList<CustodyView> chain)
    {
        if (chain.Count == 0)
        {
            console.WriteLine("No custody entries.");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("#", "Item", "Event", "Actor", "At (UTC)", "Location", "Reason", "Recipient", "Hash");
        foreach (var c in chain)
        {
            table.AddRow(c.Sequence.ToString(CultureInfo.InvariantCulture), c.EvidenceItemId.ToString(), IncidentCommands.Name(c.Event), c.Actor,
                c.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), c.Location, c.Reason, c.Recipient ?? "-", c.Hash[..12]);
        }
        console.Write(table);
        console.WriteLine($"{chain.Count} entr{(chain.Count == 1 ? "y" : "ies")}.");
    }

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new CliException(ExitCodes.Usage, $"--acquired: '{text}' is not a date and time; use ISO 8601, e.g. 2026-03-01T10:15:00Z.");

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static Argument<Guid> EvidenceIdArgument() => new("evidence-id") { Description = "The evidence item's id (see 'firebreak evidence list')." };

    private static Option<string> ReasonOption() => new("--reason") { Description = "Why; recorded in the chain of custody.", Required = true, HelpName = "TEXT" };

    private static Option<string> OutOption(string description) => new("--out") { Description = description, Required = true, HelpName = "FILE" };

    private static Option<bool> ForceOption() => new("--force") { Description = "Replace the --out file if it exists." };

    private static Option<string?> Choice(string name, string description, string[] values) => new(name)
    {
        Description = $"{description}: {string.Join(", ", values)}.",
        HelpName = name.TrimStart('-').ToUpperInvariant(),
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            var match = values.FirstOrDefault(v => string.Equals(v, text.Trim(), StringComparison.OrdinalIgnoreCase));
            if (match is null) result.AddError($"{name}: '{text}' is not valid. Use one of: {string.Join(", ", values)}.");
            return match;
        },
    };

    /// <summary>Hashes what the upload actually reads, so the check covers the bytes sent rather than a second read of the file.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            hash.AppendData(buffer, offset, read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
