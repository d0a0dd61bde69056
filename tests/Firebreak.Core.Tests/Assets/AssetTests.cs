using Firebreak.Core.Assets;
using Firebreak.Core.Common;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Assets;

public sealed class AssetTests
{
    private static AssetInput Input(string pattern = "arn:aws:s3:::payroll-*", string name = "Payroll exports", DataClassification? classification = DataClassification.Restricted,
        IReadOnlyList<string>? regulations = null) =>
        new(pattern, name, classification, true, regulations ?? ["GDPR", "gdpr", "pci-dss"], "data-platform@acme.example");

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Register_AddsUpdatesAndRemoves_WithVersions(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Manager);
        var assets = scope.Get<AssetService>();

        var added = await assets.AddAsync(Input());
        Assert.Equal(("arn:aws:s3:::payroll-*", DataClassification.Restricted, true, 0L), (added.Pattern, added.Classification, added.PersonalData, added.Version));
        Assert.Equal(["gdpr", "pci-dss"], added.Regulations);
        await Assert.ThrowsAsync<ConflictException>(() => assets.AddAsync(Input(name: "Again")));

        var updated = await assets.UpdateAsync(added.Id, Input(name: "Payroll", classification: DataClassification.Confidential, regulations: []), added.Version);
        Assert.Equal(("Payroll", DataClassification.Confidential, 1L), (updated.Name, updated.Classification, updated.Version));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => assets.UpdateAsync(added.Id, Input(), expectedVersion: 0));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => assets.DeleteAsync(added.Id, expectedVersion: 0));
        Assert.Single(await assets.ListAsync());

        await assets.DeleteAsync(added.Id, updated.Version);
        Assert.Empty(await assets.ListAsync());
        await Assert.ThrowsAsync<NotFoundException>(() => assets.GetAsync(added.Id));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Register_RefusesBadInput_WrongRoles_AndOtherTenants(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        AssetView added;
        await using (var scope = harness.As(acme.Manager))
        {
            var assets = scope.Get<AssetService>();
            foreach (var (input, field) in new[]
            {
                (Input(pattern: ""), "pattern"),
                (Input(pattern: "arn:aws:s3:::with space"), "pattern"),
                (Input(pattern: "***"), "pattern"),
                (Input(pattern: string.Join("", Enumerable.Repeat("a*", 9))), "pattern"),
                (Input(pattern: new string('a', AssetLimits.PatternLength + 1)), "pattern"),
                (Input(name: " "), "name"),
                (Input(classification: null), "classification"),
                (Input(classification: (DataClassification)9), "classification"),
                (Input(regulations: ["gdpr", "not a name"]), "regulations"),
                (Input(regulations: Enumerable.Range(0, 21).Select(i => $"r{i}").ToList()), "regulations"),
            })
            {
                var error = await Assert.ThrowsAsync<ValidationFailedException>(() => assets.AddAsync(input));
                Assert.True(error.Errors.ContainsKey(field), field);
            }
            Assert.Empty(await assets.ListAsync());
            added = await assets.AddAsync(Input());
        }
        await using (var scope = harness.As(acme.Responder))
        {
            var assets = scope.Get<AssetService>();
            Assert.Single(await assets.ListAsync());
            await Assert.ThrowsAsync<ForbiddenException>(() => assets.AddAsync(Input(pattern: "arn:aws:s3:::other")));
            await Assert.ThrowsAsync<ForbiddenException>(() => assets.DeleteAsync(added.Id, null));
        }
        await using (var scope = harness.As(globex.Admin))
        {
            var assets = scope.Get<AssetService>();
            Assert.Empty(await assets.ListAsync());
            await Assert.ThrowsAsync<NotFoundException>(() => assets.GetAsync(added.Id));
            await Assert.ThrowsAsync<NotFoundException>(() => assets.UpdateAsync(added.Id, Input(), null));
            await Assert.ThrowsAsync<NotFoundException>(() => assets.DeleteAsync(added.Id, null));
            // The same pattern is another tenant's own entry.
            await assets.AddAsync(Input());
        }
    }

    [Fact]
    public void Matcher_PrefersExact_ThenTheMostSpecificWildcard()
    {
        static AssetView A(string pattern) => new(Guid.NewGuid(), pattern, pattern, DataClassification.Internal, false, [], null, default, default, 0);
        var matcher = new AssetMatcher([A("arn:aws:s3:::*"), A("arn:aws:s3:::payroll-*"), A("arn:aws:s3:::payroll-exports"), A("projects/*/secrets/*-key"), A("*/containers/exports")]);
        Assert.Equal("arn:aws:s3:::payroll-exports", matcher.Match("arn:aws:s3:::payroll-exports")!.Pattern);
        Assert.Equal("arn:aws:s3:::payroll-*", matcher.Match("arn:aws:s3:::payroll-archive")!.Pattern);
        Assert.Equal("arn:aws:s3:::*", matcher.Match("arn:aws:s3:::logs")!.Pattern);
        Assert.Equal("projects/*/secrets/*-key", matcher.Match("projects/123/secrets/stripe-key")!.Pattern);
        Assert.Null(matcher.Match("projects/123/secrets/stripe-token"));
        Assert.Equal("*/containers/exports", matcher.Match("/SUBSCRIPTIONS/X/CONTAINERS/EXPORTS")!.Pattern);
        Assert.Null(matcher.Match("arn:aws:rds:eu-west-1:1:db:x"));
        Assert.Null(matcher.Match(null));
    }
}
