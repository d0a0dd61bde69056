using System.Security.Cryptography;
using System.Text;

namespace Firebreak.Core.Alerts;

/// <summary>
/// What makes two alerts "the same". With a source reference: the source and the reference. Without
/// one: a fingerprint of what the alert says — source, title, category, cloud account and region,
/// resources and principals — but never its times, so a repeat is recognised however late it comes.
/// </summary>
public static class AlertFingerprint
{
    public static string DedupKey(IncomingAlert alert)
    {
        var text = new StringBuilder(256);
        text.Append(alert.Source.Trim().ToLowerInvariant()).Append('\n');
        if (!string.IsNullOrWhiteSpace(alert.SourceReference))
        {
            text.Append("ref\n").Append(alert.SourceReference.Trim());
        }
        else
        {
            text.Append("content\n")
                .Append(alert.Title.Trim()).Append('\n')
                .Append(alert.Category?.Trim()).Append('\n')
                .Append(alert.Account?.Trim()).Append('\n')
                .Append(alert.Region?.Trim().ToLowerInvariant()).Append('\n');
            foreach (var r in alert.Resources.Select(r => r.Trim()).Order(StringComparer.Ordinal)) text.Append(r).Append('\u001f');
            text.Append('\n');
            foreach (var p in alert.Principals.Select(p => p.Type + "=" + p.Value.Trim()).Order(StringComparer.Ordinal)) text.Append(p).Append('\u001f');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
