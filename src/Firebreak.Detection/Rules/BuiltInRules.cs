using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Rules;

/// <summary>Firebreak's own Sigma rules, shipped inside this assembly.</summary>
public static class BuiltInRules
{
    /// <summary>Resource-name prefix of the rule files; what follows it is the path under <c>Rules/</c>.</summary>
    public const string ResourcePrefix = "Firebreak.Rules/";

    public static SigmaParseResult Load() => SigmaRuleLoader.LoadEmbedded(typeof(BuiltInRules).Assembly, ResourcePrefix);

    public static CompiledRuleSet Compile(SigmaCompileOptions? options = null) => CompiledRuleSet.Compile(Load().Documents, options);
}
