using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Recommenders;

namespace RecoFlow.Recommendations.Tests;

public class CoVisitationBaselineTests
{
    private static long _ts;

    private static FeedbackEvent Click(int user, int item) => new(user, item, InteractionType.Click, 0, ++_ts);

    private static FeedbackEvent View(int user, int item) => new(user, item, InteractionType.View, 0, ++_ts);

    private static CoVisitationBaselineRecommender Learned(params FeedbackEvent[] events)
    {
        var r = new CoVisitationBaselineRecommender();
        foreach (var e in events) r.Learn(e);
        return r;
    }

    private static int[] Recommend(IRecommender r, int user, int k, params int[] exclude)
    {
        var list = new int[k];
        int n = r.Recommend(user, k, exclude, 0, list);
        return list[..n];
    }

    [Fact]
    public void LinksWeighByDistanceInBothDirections()
    {
        var r = Learned(Click(0, 0), Click(0, 1), Click(0, 2));
        Assert.Equal(1.0, r.Link(1, 0));
        Assert.Equal(1.0, r.Link(0, 1));
        Assert.Equal(1.0, r.Link(2, 1));  // distance 0: the most recent previous positive
        Assert.Equal(1.0, r.Link(1, 2));
        Assert.Equal(0.5, r.Link(2, 0));  // distance 1
        Assert.Equal(0.5, r.Link(0, 2));
        Assert.Equal([2, 1, 0], r.HistoryOf(0).ToArray());
    }

    [Fact]
    public void LinksOnlyPositiveEventsOfTheSameUser()
    {
        var r = Learned(Click(0, 0), View(0, 1), Click(1, 2), Click(0, 3));
        Assert.Equal(0.0, r.Link(1, 0));  // a view neither links nor enters the history
        Assert.Equal(0.0, r.Link(3, 1));
        Assert.Equal(0.0, r.Link(3, 2));  // another user's positive
        Assert.Equal(1.0, r.Link(3, 0));
        Assert.Equal([3, 0], r.HistoryOf(0).ToArray());
    }

    [Fact]
    public void LinksReachTheTenPreviousPositivesOnly()
    {
        var events = Enumerable.Range(0, 12).Select(i => Click(0, i)).ToArray();
        var r = Learned(events);
        Assert.Equal(1.0 / 10, r.Link(11, 1), 12); // distance 9
        Assert.Equal(1.0 / 10, r.Link(1, 11), 12);
        Assert.Equal(0.0, r.Link(11, 0));           // eleventh previous: out of reach
        Assert.Equal(0.0, r.Link(0, 11));
        Assert.Equal(1.0 / 10, r.Link(10, 0), 12);
        Assert.Equal(Enumerable.Range(2, 10).Reverse().ToArray(), r.HistoryOf(0).ToArray());
    }

    [Fact]
    public void RepeatedPositiveMovesToFrontWithoutSelfLink()
    {
        var r = Learned(Click(0, 0), Click(0, 1), Click(0, 0));
        Assert.Equal(0.0, r.Link(0, 0));
        Assert.Equal(2.0, r.Link(0, 1)); // 1 → 0 at distance 0, then 0 again → 1 at distance 0
        Assert.Equal(2.0, r.Link(1, 0));
        Assert.Equal([0, 1], r.HistoryOf(0).ToArray());
    }

    [Fact]
    public void ScoresSumRankWeightedLinksOverTheHistory()
    {
        var r = Learned(
            Click(0, 0), Click(0, 1),               // user 0: history [1, 0]
            Click(1, 0), Click(1, 5),               // link(0,5) = 1
            Click(2, 1), Click(2, 6),               // link(1,6) = 1
            Click(3, 7), Click(3, 8), Click(3, 1),  // link(1,8) = 1, link(1,7) = 0.5
            Click(4, 8),                            // popularity of 8: 2
            Click(5, 9), Click(6, 9), Click(7, 10), // not linked: popularity 2 and 1
            Click(8, 3), Click(8, 5));              // link(3,5): not in user 0's history
        // 8: 1·1 = 1 (popularity 2), 6: 1·1 = 1 (popularity 1), 5: 0.85·1, 7: 1·0.5; 0 and 1 excluded.
        Assert.Equal([8, 6, 5, 7], Recommend(r, 0, 4, 0, 1));
        // Filled up in popularity order: 9 (2), 3 and 10 (1; lower id first).
        Assert.Equal([8, 6, 5, 7, 9, 3, 10], Recommend(r, 0, 7, 0, 1));

        // An item linked from two history items sums both: 7 gets 0.5 + 0.85·1.
        r.Learn(Click(9, 0));
        r.Learn(Click(9, 7));
        Assert.Equal([7, 8, 6, 5], Recommend(r, 0, 4, 0, 1));
    }

    [Fact]
    public void TiesGoToPopularityThenLowerId()
    {
        var r = Learned(Click(1, 0), Click(1, 2), Click(2, 0), Click(2, 3), Click(0, 0));
        Assert.Equal([2, 3], Recommend(r, 0, 2, 0)); // equal score, equal popularity: lower id
        r.Learn(Click(3, 3));
        Assert.Equal([3, 2], Recommend(r, 0, 2, 0)); // equal score: 3 is more popular
    }

    [Fact]
    public void NeverReturnsExcludedItems()
    {
        var r = Learned(Click(1, 0), Click(1, 2), Click(1, 3), Click(0, 0), Click(2, 4), Click(3, 4));
        // From user 0's history [0]: link(0,2) = 1 and link(0,3) = 0.5; 2 is excluded, so 3 leads and the list is
        // filled with the most popular item that is neither excluded nor already listed (4, count 2).
        int[] list = Recommend(r, 0, 5, 0, 2);
        Assert.Equal([3, 4], list);
        Assert.Equal(list.Length, list.Distinct().Count());
    }

    [Fact]
    public void UserWithoutHistoryGetsPopularityList()
    {
        var events = new[] { Click(0, 0), Click(0, 1), Click(1, 1), Click(1, 2), Click(2, 2), Click(2, 1), View(3, 3) };
        var r = Learned(events);
        var p = new PopularityRecommender();
        foreach (var e in events) p.Learn(e);
        Assert.Equal(Recommend(p, 3, 3), Recommend(r, 3, 3));
        Assert.Equal([1, 2, 0], Recommend(r, 3, 3));
        Assert.Equal([2, 0], Recommend(r, 3, 3, 1));
    }

    [Fact]
    public void RunsInThePrequentialEvaluator()
    {
        // Two users with the same sequence: the second user's second item is predicted from the first user's link.
        var log = EncodedLog.Build(
        [
            new Interaction("1", "a", "x", InteractionType.Purchase, null, 1, InteractionContext.Empty, Consent.Granted),
            new Interaction("2", "a", "y", InteractionType.Purchase, null, 2, InteractionContext.Empty, Consent.Granted),
            new Interaction("3", "a", "z", InteractionType.Purchase, null, 3, InteractionContext.Empty, Consent.Granted),
            new Interaction("4", "b", "x", InteractionType.Purchase, null, 4, InteractionContext.Empty, Consent.Granted),
            new Interaction("5", "b", "y", InteractionType.Purchase, null, 5, InteractionContext.Empty, Consent.Granted),
        ], null);
        var report = new PrequentialEvaluator().Run(log, [new CoVisitationBaselineRecommender()], new PrequentialOptions(K: 1));
        Assert.Equal(3, report.TestEvents);  // a-y, a-z, b-y
        Assert.Equal("covisitation", report.Results[0].Name);
        Assert.Equal(1, report.Results[0].Hits); // only b-y: a-y and a-z find nothing that is linked and not excluded
    }
}
