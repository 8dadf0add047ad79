using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Recommenders;

namespace RecoFlow.Recommendations.Tests;

public class EvaluationTests
{
    private static Interaction Rating(string user, string item, double value, long ts) =>
        new($"{user}-{item}-{ts}", user, item, InteractionType.Rating, value, ts, InteractionContext.Empty, Consent.Granted);

    private static Interaction Click(string user, string item, long ts) =>
        new($"{user}-{item}-{ts}", user, item, InteractionType.Click, null, ts, InteractionContext.Empty, Consent.Granted);

    /// <summary>Records what the evaluator asks, to check the protocol.</summary>
    private sealed class Probe(int fixedItem) : IRecommender
    {
        public List<(int User, int[] Exclude)> Requests { get; } = [];
        public List<FeedbackEvent> Learned { get; } = [];

        public string Name => "probe";

        public void Learn(in FeedbackEvent e) => Learned.Add(e);

        public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
        {
            Requests.Add((user, exclude.ToArray()));
            destination[0] = fixedItem;
            return 1;
        }
    }

    [Fact]
    public void ProtocolSelectsTestEventsAndLearnsEverything()
    {
        var log = EncodedLog.Build(
        [
            Rating("a", "x", 5, 30),   // later in file but earliest? no: ts 30 → sorted third
            Rating("a", "w", 4, 10),   // a's first positive: not a test event
            Rating("a", "v", 2, 20),   // not positive
            Rating("a", "x", 4.5, 30), // tie with the first line: file order; a repeat of x → not a test event
            Click("b", "x", 40),       // b has no earlier positive
            Rating("b", "y", 3.5, 50), // not positive
            Click("b", "z", 60),       // test event (b: earlier positive x)
            Rating("a", "y", 4, 70),   // test event (a: earlier w, x)
        ], null);
        // Sorted order: a-w(10), a-v(20), a-x(30, line 1), a-x(30, line 4), b-x, b-y, b-z, a-y.
        Assert.Equal(["a", "b"], log.UserIds);
        Assert.Equal(["w", "v", "x", "y", "z"], log.ItemIds);

        var probe = new Probe(fixedItem: 4); // always recommends z
        PrequentialReport report = new PrequentialEvaluator().Run(log, [probe], new PrequentialOptions(K: 5));
        Assert.Equal(8, report.Events);
        // a-x (line 1) is a test (a has earlier positive w); a-x (line 4) repeats x; b-z and a-y are tests.
        Assert.Equal(3, report.TestEvents);
        Assert.Equal(8, probe.Learned.Count);
        Assert.Equal(3, probe.Requests.Count);
        Assert.Equal([0], probe.Requests[0].Exclude);          // a before a-x: {w}
        Assert.Equal([2], probe.Requests[1].Exclude);          // b before b-z: {x}
        Assert.Equal([0, 2], probe.Requests[2].Exclude);       // a before a-y: {w, x}
        RecommenderMetrics m = report.Results[0];
        Assert.Equal(1, m.Hits);                               // only b-z is hit
        Assert.Equal(1 / 3.0, m.RecallAtK, 9);
        Assert.Equal(1 / 3.0, m.NdcgAtK, 9);
        Assert.Equal(1 / 3.0, m.Mrr, 9);
    }

    [Fact]
    public void TestFromSkipsPrefixButStillLearnsIt()
    {
        var log = EncodedLog.Build([Click("a", "x", 1), Click("a", "y", 2), Click("a", "z", 3)], null);
        var probe = new Probe(0);
        PrequentialReport r = new PrequentialEvaluator().Run(log, [probe], new PrequentialOptions(K: 3, TestFrom: 2));
        Assert.Equal(1, r.TestEvents);
        Assert.Equal(3, probe.Learned.Count);
    }

    private static List<FeedbackEvent> SyntheticStream(int n, int seed)
    {
        var rng = new RecoFlow.Recommendations.Common.SplitMix64((ulong)seed);
        var list = new List<FeedbackEvent>();
        for (int t = 0; t < n; t++)
        {
            int u = rng.NextInt(20);
            int i = (u % 4) * 10 + rng.NextInt(10); // four taste groups of ten items
            list.Add(new FeedbackEvent(u, i, InteractionType.Rating, rng.NextDouble() < 0.7 ? 4.5f : 2f, t * 60_000L));
        }

        return list;
    }

    [Fact]
    public void BaselinesRoundTripAndRankByCount()
    {
        var pop = new PopularityRecommender();
        pop.Learn(new FeedbackEvent(0, 3, InteractionType.Click, 0, 1));
        pop.Learn(new FeedbackEvent(1, 3, InteractionType.Click, 0, 2));
        pop.Learn(new FeedbackEvent(1, 1, InteractionType.Like, 0, 3));
        pop.Learn(new FeedbackEvent(1, 2, InteractionType.Rating, 2, 4)); // not positive
        var d = new int[3];
        Assert.Equal(2, pop.Recommend(5, 3, [], 0, d));
        Assert.Equal([3, 1], d[..2]);
        Assert.Equal(1, pop.Recommend(5, 3, [3], 0, d));
        PopularityRecommender pr = PopularityRecommender.Restore(TestSupport.RoundTrip(pop.Snapshot()));
        Assert.Equal(2, pr.Recommend(5, 3, [], 0, d));
        Assert.Equal([3, 1], d[..2]);

        var rnd = new RandomRecommender(seed: 9);
        for (int i = 0; i < 50; i++) rnd.Learn(new FeedbackEvent(0, i, InteractionType.View, 0, i));
        RandomRecommender rr = RandomRecommender.Restore(TestSupport.RoundTrip(rnd.Snapshot()));
        var r1 = new int[10];
        var r2 = new int[10];
        Assert.Equal(10, rnd.Recommend(0, 10, [1, 2, 3], 0, r1));
        Assert.Equal(10, rr.Recommend(0, 10, [1, 2, 3], 0, r2));
        Assert.Equal(r1, r2);
        Assert.Equal(10, r1.Distinct().Count());
        Assert.DoesNotContain(2, r1);

        var events = SyntheticStream(500, 3);
        BatchMfRecommender mf = BatchMfRecommender.TrainOnPrefix(events, 0.5, new BatchMfOptions(Factors: 4, Epochs: 5));
        BatchMfRecommender mr = BatchMfRecommender.Restore(TestSupport.RoundTrip(mf.Snapshot()));
        Assert.Equal(mf.Recommend(2, 10, [], 0, r1), mr.Recommend(2, 10, [], 0, r2));
        Assert.Equal(r1, r2);
    }
}
