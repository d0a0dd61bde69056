using System.Text;
using Firebreak.Core.Alerts;

namespace Firebreak.Core.Tests.Alerts.Formats;

internal static class Fixture
{
    public static byte[] Bytes(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Alerts", "Formats", "Fixtures", name));

    public static string Text(string name) => Encoding.UTF8.GetString(Bytes(name));

    public static IReadOnlyList<IncomingAlert> Parse(IAlertFormat format, string name) => format.Parse(Bytes(name));

    public static IReadOnlyList<IncomingAlert> ParseText(IAlertFormat format, string payload) => format.Parse(Encoding.UTF8.GetBytes(payload));

    public static AlertEntity Entity(string type, string value) => new(type, value);

    public static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
}
