using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Tests;

public sealed class SyntheticBasketLogTests
{
    private static readonly SyntheticBasketLogOptions Small = new(Users: 300, Items: 500);

    [Fact]
    public void The_same_options_give_the_same_log_and_another_seed_another()
    {
        var first = SyntheticBasketLog.Generate(Small);
        var second = SyntheticBasketLog.Generate(Small);
        var other = SyntheticBasketLog.Generate(Small with { Seed = Small.Seed + 1 });
        Assert.Equal(first, second);
        Assert.NotEqual(first.Select(e => (e.UserId, e.ItemId)), other.Select(e => (e.UserId, e.ItemId)));
    }

    [Fact]
    public void Events_are_purchases_in_timestamp_order_and_each_order_is_a_basket_of_distinct_products()
    {
        var log = SyntheticBasketLog.Generate(Small);
        Assert.All(log, e => Assert.Equal(InteractionType.Purchase, e.Type));
        Assert.All(log, e => Assert.True(e.Consent.Personalization));
        Assert.Equal(log.Count, log.Select(e => e.EventId).Distinct().Count());
        for (int i = 1; i < log.Count; i++) Assert.True(log[i - 1].TimestampMs <= log[i].TimestampMs);
        var baskets = log.GroupBy(e => (e.UserId, e.TimestampMs)).ToList();
        Assert.All(baskets, b => Assert.Equal(b.Count(), b.Select(e => e.ItemId).Distinct().Count()));
        Assert.True(baskets.Average(b => b.Count()) > 2, "orders hold several products");
        Assert.True(log.GroupBy(e => e.UserId).Count(u => u.Select(e => e.TimestampMs).Distinct().Count() > 1) > Small.Users / 2,
            "most customers come back");
    }

    [Fact]
    public void Products_are_bought_with_their_complements_as_often_as_the_bundle_share_says()
    {
        // The share of products bought in one order with an earlier line of that order that they were bought with
        // before: high with bundles, low without.
        static double Repeated(double share)
        {
            var log = SyntheticBasketLog.Generate(new SyntheticBasketLogOptions(Users: 2_000, BundleShare: share));
            var seen = new HashSet<(string, string)>();
            int pairs = 0, repeated = 0;
            foreach (var basket in log.GroupBy(e => (e.UserId, e.TimestampMs)))
            {
                var items = basket.Select(e => e.ItemId).ToList();
                for (int i = 0; i < items.Count; i++)
                    for (int j = i + 1; j < items.Count; j++)
                    {
                        pairs++;
                        if (!seen.Add((items[i], items[j])) | !seen.Add((items[j], items[i]))) repeated++;
                    }
            }
            return (double)repeated / pairs;
        }

        double bundled = Repeated(0.9), unbundled = Repeated(0.1);
        Assert.True(bundled > 3 * unbundled, $"{bundled:F3} against {unbundled:F3}");
    }

    [Theory]
    [InlineData(0, 1_000, 0.5, 0.6, "users")]
    [InlineData(10, 50, 0.5, 0.6, "items")]
    [InlineData(10, 1_000, 1.5, 0.6, "bundle-share")]
    [InlineData(10, 1_000, 0.5, -1, "popularity-skew")]
    public void Bad_options_are_named(int users, int items, double share, double skew, string named)
    {
        var options = new SyntheticBasketLogOptions(users, items, share, skew);
        Assert.Contains(named, options.Problem());
        Assert.Throws<ArgumentException>(() => SyntheticBasketLog.Generate(options));
    }
}
