namespace Firebreak.Core.Alerts.Formats;

/// <summary>Every intake format by the name used in the intake URL.</summary>
public static class AlertFormats
{
    public static IReadOnlyList<IAlertFormat> All { get; } =
    [
        new GenericAlertFormat(),
        new OcsfAlertFormat(),
        new AsffAlertFormat(),
        new GuardDutyAlertFormat(),
        new DefenderAlertFormat(),
        new SccAlertFormat(),
        new CefAlertFormat(),
    ];

    private static readonly Dictionary<string, IAlertFormat> ByName =
        All.ToDictionary(format => format.Name, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryGet(string name, out IAlertFormat format) => ByName.TryGetValue(name, out format!);

    /// <summary>The format with this name, case-insensitive; null when there is none.</summary>
    public static IAlertFormat? Find(string name) => ByName.GetValueOrDefault(name);
}
