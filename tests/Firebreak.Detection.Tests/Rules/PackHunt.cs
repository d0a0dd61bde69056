using System.Text;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Rules;

/// <summary>The built-in pack hunting whole records as <c>firebreak hunt</c> does: the real reader with the pack's raw pre-filter.</summary>
internal static class PackHunt
{
    private static readonly Lazy<CompiledRuleSet> Pack = new(() => BuiltInRules.Compile());

    /// <summary>Every hit of the pack on the records of <paramref name="json"/>, correlations included; the records must read without a problem.</summary>
    public static async Task<List<HuntHit>> RunAsync(string json, string name)
    {
        var token = TestContext.Current.CancellationToken;
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = RuleRawFilter.Create(Pack.Value) });
        var hunt = new Hunt(Pack.Value, new HuntOptions { Workers = 1 });
        var hits = await hunt.RunAsync(reader.ReadStreamAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), name, token), token).ToListAsync(token);
        Assert.Empty(reader.Summary.Problems);
        return hits;
    }

    /// <summary>Hits as a failure message shows them.</summary>
    public static string Describe(IEnumerable<HuntHit> hits) =>
        "[" + string.Join(", ", hits.Select(h => $"{h.Title} ({h.Level}: {string.Join(" ", h.Tags)})")) + "]";
}
