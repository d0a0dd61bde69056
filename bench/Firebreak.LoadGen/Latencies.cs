using System.Globalization;

namespace Firebreak.LoadGen;

/// <summary>Request latencies in milliseconds, merged from all connections at the end of a run.</summary>
public sealed class Latencies
{
    private readonly List<double> _values = [];

    public int Count => _values.Count;

    public void Add(double milliseconds)
    {
        lock (_values) _values.Add(milliseconds);
    }

    public string Describe()
    {
        lock (_values)
        {
            if (_values.Count == 0) return "no requests";
            _values.Sort();
            return string.Create(CultureInfo.InvariantCulture,
                $"p50 {At(0.50):F1} ms, p95 {At(0.95):F1} ms, p99 {At(0.99):F1} ms, max {_values[^1]:F1} ms");
        }
    }

    private double At(double quantile) => _values[Math.Min(_values.Count - 1, (int)Math.Ceiling(quantile * _values.Count) - 1)];
}
