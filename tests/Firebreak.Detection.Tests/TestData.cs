using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests;

internal static class TestData
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Readers", "Fixtures", name);

    /// <summary>
    /// The public sample logs live outside the repository, in a <c>shared/data</c> folder beside one of
    /// the checkout's ancestors. Without them the test is skipped, except in CI, where they must exist.
    /// </summary>
    public static string SharedData(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                var path = Path.Combine(candidate, relative);
                Assert.True(Path.Exists(path), $"{path} is missing from the shared sample data");
                return path;
            }
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("shared/data was not found above the test directory, and CI must not skip sample-data tests");
        }

        Assert.Skip("shared/data (public sample logs) is not present beside this checkout");
        return "";
    }

    public static async Task<List<CloudEvent>> ReadAllAsync(this CloudLogReader reader, params string[] paths)
    {
        List<CloudEvent> events = [];
        await foreach (var cloudEvent in reader.ReadPathsAsync(paths, TestContext.Current.CancellationToken))
        {
            events.Add(cloudEvent);
        }

        return events;
    }

    public static async Task<List<CloudEvent>> ReadAllAsync(this CloudLogReader reader, Stream stream, string name)
    {
        List<CloudEvent> events = [];
        await foreach (var cloudEvent in reader.ReadStreamAsync(stream, name, TestContext.Current.CancellationToken))
        {
            events.Add(cloudEvent);
        }

        return events;
    }
}
