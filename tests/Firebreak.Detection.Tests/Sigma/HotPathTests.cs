using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class HotPathTests
{
    [Fact]
    public void Matching_AllocatesNothing_ForEventsThatDoNotMatch()
    {
        var set = BuiltInRules.Compile();
        string[] names = ["DescribeInstances", "AssumeRole", "ListBuckets", "PutObject", "Decrypt", "GetCallerIdentity", "RunInstances", "CreateAccessKey"];
        var events = names.Select(n => TestEvents.Aws($$$$"""
            {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/i-1","userName":"app",
             "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/app"}}},
             "eventSource":"ec2.amazonaws.com","eventName":"{{{{n}}}}","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1",
             "requestParameters":{"instanceType":"t3.micro","userName":"app"},"eventType":"AwsApiCall"}
            """)).ToArray();
        var matches = new List<CompiledRule>(16);
        foreach (var e in events)
        {
            set.Match(e, matches);
        }

        Assert.Empty(matches);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 2_000; i++)
        {
            foreach (var e in events)
            {
                set.Match(e, matches);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
