using RecoFlow.Api;
using RecoFlow.Jobs.Recommendations;

namespace RecoFlow.Tests.Recommendations;

public sealed class RecommendationSettingsTests
{
    private static RecommendationSettings From(params (string Name, string Value)[] values) =>
        RecommendationSettings.From(new JobParameters(values.ToDictionary(v => v.Name, v => v.Value), RecommendationSettings.Parameters));

    [Fact]
    public void The_half_lives_are_parameters_with_the_defaults_the_options_had()
    {
        var defaults = From();
        Assert.Equal(180, defaults.ItemModel.PopularityHalfLifeDays);
        Assert.Equal(14, defaults.ItemModel.RecentPopularityHalfLifeDays);
        Assert.Equal(365, defaults.ItemModel.CoVisitationHalfLifeDays);
        Assert.Equal(TimeSpan.FromDays(30), defaults.Users.EffectiveAffinityHalfLife);
        Assert.Equal(TimeSpan.FromDays(365), defaults.Users.EffectiveStateTimeToLive);
        Assert.Equal(TimeSpan.FromDays(365), defaults.ItemModel.EffectiveUserTimeToLive);

        var set = From(("popularity-half-life", "12h"), ("covisitation-half-life", "90d"), ("affinity-half-life", "7d"), ("user-ttl", "30d"));
        Assert.Equal(0.5, set.ItemModel.PopularityHalfLifeDays);
        Assert.Equal(90, set.ItemModel.CoVisitationHalfLifeDays);
        Assert.Equal(TimeSpan.FromDays(7), set.Users.EffectiveAffinityHalfLife);
        Assert.Equal(TimeSpan.FromDays(30), set.Users.EffectiveStateTimeToLive);
        Assert.Equal(TimeSpan.FromDays(30), set.ItemModel.EffectiveUserTimeToLive);
    }

    [Theory]
    [InlineData("popularity-half-life")]
    [InlineData("recent-popularity-half-life")]
    [InlineData("covisitation-half-life")]
    [InlineData("affinity-half-life")]
    public void A_half_life_of_zero_is_refused_with_its_name(string name)
    {
        var e = Assert.Throws<JobParameterException>(() => From((name, "0")));
        Assert.Contains($"'{name}' must be positive", e.Message, StringComparison.Ordinal);
    }
}
