namespace Firebreak.Core.Playbooks;

/// <summary>
/// The playbooks that ship with Firebreak, embedded as YAML. They are checked for shape when loaded; their action
/// names are checked against the server's catalogue only when a run starts, since providers' actions come and go.
/// </summary>
public static class BuiltInPlaybooks
{
    private const string Prefix = "Firebreak.Playbooks/";

    private static readonly Lazy<IReadOnlyList<(PlaybookDefinition Definition, string Yaml)>> All = new(Load);

    public static IReadOnlyList<(PlaybookDefinition Definition, string Yaml)> List() => All.Value;

    public static (PlaybookDefinition Definition, string Yaml)? Find(string id) =>
        All.Value.FirstOrDefault(p => p.Definition.Id == id) is { Definition: not null } found ? found : null;

    private static List<(PlaybookDefinition, string)> Load()
    {
        var assembly = typeof(BuiltInPlaybooks).Assembly;
        var playbooks = new List<(PlaybookDefinition, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var yaml = new StreamReader(stream).ReadToEnd();
            playbooks.Add((PlaybookYaml.Parse(yaml), yaml));
        }
        return playbooks;
    }
}
