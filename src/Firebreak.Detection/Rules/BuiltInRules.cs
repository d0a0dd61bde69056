using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Rules;

/// <summary>Firebreak's own Sigma rules, shipped inside this assembly.</summary>
public static class BuiltInRules
{
    /// <summary>Resource-name prefix of the rule files; what follows it is the path under <c>Rules/</c>.</summary>
    public const string ResourcePrefix = "Firebreak.Rules/";

    public static SigmaParseResult Load() => SigmaRuleLoader.LoadEmbedded(typeof(BuiltInRules).Assembly, ResourcePrefix);

    /// <summary>
    /// The pack compiled for matching, without rules whose status retires them (deprecated, unsupported), as a hunt
    /// leaves them out by default (<see cref="RetiredRules"/>); a retired rule a correlation needs is matched for it only.
    /// </summary>
    public static CompiledRuleSet Compile(SigmaCompileOptions? options = null)
    {
        var selection = RetiredRules.LeaveOut(Load().Documents);
        return CompiledRuleSet.Compile(selection.Documents, (options ?? new SigmaCompileOptions()) with { Unreported = selection.Unreported });
    }
}
