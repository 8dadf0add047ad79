using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class ColdStartListTests
{
    private static ItemCatalog Catalog(int items)
    {
        var c = new ItemCatalog();
        for (int i = 0; i < items; i++) c.Add(new CatalogItem($"i{i}", $"Item {i}", ["Any"]));
        return c;
    }

    private static UserScoringState User(string[]? positives = null, string[]? seen = null) => new()
    {
        Positives = new(positives ?? [], StringComparer.Ordinal),
        Seen = new(seen ?? positives ?? [], StringComparer.Ordinal),
    };

    [Fact]
    public void The_most_counted_items_come_first_ties_to_the_first_to_reach_the_count()
    {
        var list = new ColdStartList(Catalog(10));
        foreach (var i in new[] { "i5", "i3", "i3", "i7", "i5", "i3", "i9" }) list.Count(i);
        var (items, scores) = list.For(User(), 3, excludeSeen: true);
        Assert.Equal(["i3", "i5", "i7"], items);
        Assert.Equal([3f, 2f, 1f], scores);
    }

    [Fact]
    public void A_users_positives_and_with_exclusion_their_seen_items_are_left_out()
    {
        var list = new ColdStartList(Catalog(10));
        foreach (var i in new[] { "i1", "i1", "i1", "i2", "i2", "i3" }) list.Count(i);
        var user = User(positives: ["i1"], seen: ["i1", "i2"]);
        Assert.Equal(["i3", "i0", "i4"], list.For(user, 3, excludeSeen: true).Items);
        Assert.Equal(["i2", "i3", "i0"], list.For(user, 3, excludeSeen: false).Items);
    }

    [Fact]
    public void The_catalogue_fills_the_list_so_it_is_never_empty_while_the_catalogue_has_an_unseen_item()
    {
        // Nothing counted yet: the catalogue in its order, with score 0.
        var list = new ColdStartList(Catalog(4));
        var (items, scores) = list.For(User(), 10, excludeSeen: true);
        Assert.Equal(["i0", "i1", "i2", "i3"], items);
        Assert.All(scores, s => Assert.Equal(0f, s));

        // Counted items first, then the catalogue without repeating them; items outside the catalogue count too.
        list.Count("i2");
        list.Count("elsewhere");
        list.Count("elsewhere");
        Assert.Equal(["elsewhere", "i2", "i0", "i1", "i3"], list.For(User(), 10, excludeSeen: true).Items);
        Assert.Equal(["i3"], list.For(User(positives: ["i0", "i1", "i2", "elsewhere"]), 10, excludeSeen: true).Items);
        Assert.Empty(new ColdStartList(new ItemCatalog()).For(User(), 10, excludeSeen: true).Items);
    }

    [Fact]
    public void Only_the_kept_number_of_popular_items_is_ranked()
    {
        var list = new ColdStartList(new ItemCatalog(), keep: 2);
        foreach (var i in new[] { "a", "b", "b", "c", "c", "c", "d" }) list.Count(i);
        Assert.Equal(["c", "b"], list.For(User(), 5, excludeSeen: true).Items);
    }

    [Fact]
    public void A_short_list_is_filled_up_below_its_lowest_score_without_repeats_or_the_users_positives()
    {
        var list = new ColdStartList(Catalog(6));
        foreach (var i in new[] { "i4", "i4", "i1", "i0" }) list.Count(i);
        var (items, scores) = list.FillUp(["i1", "i5"], [2.5f, 1.5f], User(positives: ["i4"]), k: 4, excludeSeen: true);

        Assert.Equal(["i1", "i5", "i0", "i2"], items);
        Assert.Equal(4, scores.Length);
        Assert.True(scores[2] < 1.5f && scores[3] < scores[2], string.Join(", ", scores));
    }
}
