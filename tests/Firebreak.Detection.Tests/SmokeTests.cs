namespace Firebreak.Detection.Tests;

public class SmokeTests
{
    [Fact]
    public void Assembly_Loads() => Assert.Equal("Firebreak.Detection", typeof(SmokeTests).Assembly.GetName().Name!.Replace(".Tests", ""));
}
