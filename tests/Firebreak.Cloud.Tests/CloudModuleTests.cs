using Firebreak.Cloud;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cloud.Tests;

public class CloudModuleTests
{
    [Fact]
    public void AddFirebreakCloud_ReturnsTheSameCollection_ForChaining()
    {
        var services = new ServiceCollection();
        Assert.Same(services, services.AddFirebreakCloud());
    }
}
