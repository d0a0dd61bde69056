namespace Firebreak.Detection.Tests;

/// <summary>
/// Locates third-party data kept outside the repository (for licence reasons) in a <c>shared/data</c>
/// directory beside one of the test assembly's ancestors. Absent data skips the test locally and fails it in CI.
/// </summary>
internal static class SharedData
{
    public static string Require(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        var message = $"shared/data/{relative} was not found beside any ancestor of {AppContext.BaseDirectory}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
        return "";
    }
}
