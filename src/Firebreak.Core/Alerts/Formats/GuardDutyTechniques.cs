namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// GuardDuty finding types do not carry ATT&amp;CK ids. This small table covers the types whose
/// technique is unambiguous; everything else maps to none rather than to a guess.
/// </summary>
public static class GuardDutyTechniques
{
    private sealed record Rule(string TypePrefix, string Contains, string[] Techniques);

    // Matched on the threat purpose / resource prefix and a token of the rest, so both the native
    // "UnauthorizedAccess:IAMUser/X" and Security Hub's "UnauthorizedAccess:IAMUser-X" spellings hit.
    private static readonly Rule[] Rules =
    [
        new("UnauthorizedAccess:IAMUser", "InstanceCredentialExfiltration", ["T1552.005", "T1078.004"]),
        new("UnauthorizedAccess:IAMUser", "ConsoleLogin", ["T1078.004"]),
        new("Policy:IAMUser", "RootCredentialUsage", ["T1078.004"]),
        new("", "BruteForce", ["T1110"]),
        new("", "TorIPCaller", ["T1090.003"]),
        new("", "TorClient", ["T1090.003"]),
        new("", "TorRelay", ["T1090.003"]),
        new("CryptoCurrency:", "", ["T1496"]),
        new("Stealth:", "LoggingDisabled", ["T1562.008"]),
        new("Recon:EC2", "PortProbe", ["T1595"]),
        new("Exfiltration:S3", "", ["T1530"]),
        new("Discovery:S3", "", ["T1619"]),
        new("Discovery:IAMUser", "AnomalousBehavior", ["T1580"]),
        new("Persistence:IAMUser", "AnomalousBehavior", ["T1098"]),
        new("Backdoor:EC2", "C&CActivity", ["T1071"]),
        new("Trojan:EC2", "DNSDataExfiltration", ["T1048"]),
    ];

    public static IEnumerable<string> For(string? findingType)
    {
        if (string.IsNullOrEmpty(findingType))
        {
            yield break;
        }
        foreach (var rule in Rules)
        {
            if (findingType.StartsWith(rule.TypePrefix, StringComparison.Ordinal)
                && findingType.Contains(rule.Contains, StringComparison.Ordinal))
            {
                foreach (var technique in rule.Techniques)
                {
                    yield return technique;
                }
            }
        }
    }
}
