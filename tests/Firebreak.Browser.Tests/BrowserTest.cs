using Microsoft.Playwright;

namespace Firebreak.Browser.Tests;

/// <summary>
/// Owns the pages a test opens: closes their browser contexts afterwards, and when the test failed,
/// keeps a screenshot of each page in TestResults/failures so the failure can be seen, not guessed.
/// </summary>
public abstract class BrowserTest(FirebreakSite site) : IAsyncDisposable
{
    private readonly List<IPage> _pages = [];

    protected FirebreakSite Site => site;

    protected async Task<IPage> NewPageAsync()
    {
        var page = await site.NewPageAsync();
        _pages.Add(page);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        var failed = TestContext.Current.TestState?.Result == TestResult.Failed;
        var name = TestContext.Current.TestMethod?.MethodName ?? "test";
        for (var i = 0; i < _pages.Count; i++)
        {
            if (failed)
            {
                var directory = Path.Combine(AppContext.BaseDirectory, "TestResults", "failures");
                Directory.CreateDirectory(directory);
                try
                {
                    await _pages[i].ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{name}-{i}.png"), FullPage = true });
                }
                catch (PlaywrightException)
                {
                    // A page that crashed cannot be photographed; the failure itself is already reported.
                }
            }
            await _pages[i].Context.CloseAsync();
        }
        GC.SuppressFinalize(this);
    }
}
