using System.CommandLine;
using System.Globalization;
using Firebreak.Core.Scope;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary><c>firebreak incident scope</c>: the blast radius, patient zero and entity counts of an incident.</summary>
internal static class ScopeCommands
{
    private const int Rows = 50;

    public static Command Scope(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("scope",
            "Show an incident's scope, computed from its cloud events: patient zero, the identities the attacker controlled, what they touched (read, modified, created, deleted), from where, and suggested containment. Control is seeded by escalated principals and identities marked compromised.",
            "firebreak incident scope INC-2026-0042",
            "firebreak incident scope INC-2026-0042 --json > scope.json");
        var reference = CliArguments.Incident();
        var json = IncidentCommands.JsonOption();
        command.Add(reference);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{key}/scope", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Print(connection.Context.Console, response.Read<ScopeView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IAnsiConsole console, ScopeView scope)
    {
        var blast = scope.BlastRadius;
        console.WriteLine($"{scope.Incident}: {scope.Events:N0} events" + (scope.From is { } from && scope.To is { } to ? $" from {Seconds(from)} to {Seconds(to)}" : "")
            + $"; {scope.Identities.Count:N0} identities, {scope.Resources.Count:N0} resources, {scope.SourceIps.Count:N0} source IPs, {scope.Accounts.Count:N0} accounts, {scope.Regions.Count:N0} regions.");
        if (scope.PatientZero is { } zero)
        {
            console.WriteLine($"Patient zero: {zero.Value} ({zero.Type})");
            if (zero.FirstUse is { } use)
                console.WriteLine($"  first used {Seconds(use.Time)}: {use.Operation} from {use.SourceIp ?? "-"} with {use.UserAgent ?? "-"} (event {use.EventId})");
            foreach (var link in zero.Chain.Take(10))
                console.WriteLine($"  {Name(link.From)} -{Text(link.Relation)}-> {Name(link.To)}");
        }
        else
        {
            console.WriteLine("No identity is known to be attacker-controlled: escalate an alert that names one, or mark one compromised.");
        }
        console.WriteLine($"Blast radius: {blast.Counts.Identities} identities, {blast.Counts.Resources} resources (read {blast.Counts.Read}, modified {blast.Counts.Modified}, created {blast.Counts.Created}, deleted {blast.Counts.Deleted}), {blast.Counts.SourceIps} source IPs, {blast.Counts.UserAgents} user agents, {blast.Counts.Accounts} accounts, {blast.Counts.Regions} regions; {blast.Events:N0} events.");

        if (blast.Identities.Count > 0)
        {
            var identities = new Table().Border(TableBorder.Rounded).Title("Attacker-controlled identities").AddColumns("Identity", "Type", "Why", "First seen", "Last seen", "Events");
            foreach (var i in blast.Identities.Take(Rows))
                identities.AddRow(new Text(i.Value), new Text(i.Type), new Text(Why(i)), new Text(When(i.FirstSeen)), new Text(When(i.LastSeen)), new Text(i.Events.ToString("N0", CultureInfo.InvariantCulture)));
            console.Write(identities);
            More(console, blast.Identities.Count);
        }
        if (blast.Resources.Count > 0)
        {
            var resources = new Table().Border(TableBorder.Rounded).Title("Resources touched").AddColumns("Resource", "Access", "Failed", "First seen", "Last seen");
            foreach (var r in blast.Resources.Take(Rows))
                resources.AddRow(new Text(r.Value), new Text(string.Join(", ", r.Access.Select(Text))), new Text(r.Failed.ToString(CultureInfo.InvariantCulture)), new Text(Seconds(r.FirstSeen)), new Text(Seconds(r.LastSeen)));
            console.Write(resources);
            More(console, blast.Resources.Count);
        }
        var places = blast.SourceIps.Select(v => ("source IP", v)).Concat(blast.UserAgents.Select(v => ("user agent", v)))
            .Concat(blast.Accounts.Select(v => ("account", v))).Concat(blast.Regions.Select(v => ("region", v))).ToList();
        if (places.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Where from").AddColumns("Kind", "Value", "Events", "First seen", "Last seen");
            foreach (var (kind, v) in places.Take(Rows * 2))
                table.AddRow(new Text(kind), new Text(v.Value), new Text(v.Events.ToString("N0", CultureInfo.InvariantCulture)), new Text(Seconds(v.FirstSeen)), new Text(Seconds(v.LastSeen)));
            console.Write(table);
        }
        if (blast.Containment.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Suggested containment").AddColumns("Action", "Target", "Inputs", "Why");
            foreach (var c in blast.Containment)
                table.AddRow(new Text(c.ActionId ?? c.Title), new Text(c.Resource), new Text(string.Join(" ", c.Inputs.Select(i => $"{i.Key}={i.Value}"))), new Text(c.Why));
            console.Write(table);
        }
        foreach (var cut in scope.Truncated) console.WriteLine("Cut: " + cut);
    }

    private static void More(IAnsiConsole console, int count)
    {
        if (count > Rows) console.WriteLine($"... and {count - Rows:N0} more (--json lists them all).");
    }

    private static string Why(ScopeIdentity i) => (i.Control switch
    {
        ControlReason.Escalated => "escalated",
        ControlReason.Marked => "marked",
        ControlReason.Derived => "obtained by",
        ControlReason.Origin => "used to obtain",
        ControlReason.SignedAs => "signed as by",
        _ => "",
    }) + (i.ControlledVia is { } via ? " " + Name(via) : "");

    private static string Name(string id) => id[(id.IndexOf(':', StringComparison.Ordinal) + 1)..];

    private static string Text<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonSerializer.Serialize(value).Trim('"');

    private static string When(DateTimeOffset? at) => at is { } t ? Seconds(t) : "-";

    private static string Seconds(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
