using RecoFlow.Recommendations.Streaming.Scoring;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class CandidatesTests
{
    [Fact]
    public void Reset_forgets_the_previous_list_its_features_and_its_exclusions()
    {
        var c = new Candidates();
        c.Reset(10, i => i == 3);
        Assert.Equal(0, c.Add(5));
        Assert.Equal(1, c.Add(7));
        Assert.Equal(0, c.Add(5));
        Assert.Equal(-1, c.Add(3));
        c.Row(1)[CandidateFeatures.CoBasket] = 0.5f;
        Assert.Equal([5, 7], c.Items.ToArray());
        Assert.Equal(1, c.SlotOf(7));
        Assert.Equal(-1, c.SlotOf(3));
        Assert.Equal(-1, c.SlotOf(9));
        Assert.Equal(-1, c.SlotOf(10_000));
        Assert.Equal(2 * Candidates.F, c.Features.Length);

        // A larger store next time: the slot map grows; nothing of the last list is left.
        c.Reset(1_000);
        Assert.Equal(0, c.Count);
        Assert.Equal(-1, c.SlotOf(5));
        Assert.Equal(0, c.Add(3));
        Assert.Equal(1, c.Add(7));
        Assert.All(c.Row(1).ToArray(), x => Assert.Equal(0f, x));
        Assert.Equal(2, c.Add(999));
    }

    [Fact]
    public void The_exclusion_rule_is_asked_once_per_distinct_item_a_list_meets()
    {
        var asked = new List<int>();
        var c = new Candidates();
        c.Reset(10, i => { asked.Add(i); return i % 2 == 0; });
        foreach (int i in new[] { 1, 2, 1, 2, 3, 4, 4 }) c.Add(i);
        Assert.Equal([1, 3], c.Items.ToArray());
        Assert.Equal([1, 2, 3, 4], asked);

        // Without a rule the next list takes every item, the former exclusions included.
        c.Reset(10);
        Assert.Equal(0, c.Add(2));
        Assert.Equal(1, c.Add(4));
    }

    [Fact]
    public void Top_orders_by_score_ties_by_slot_and_skips_NaN()
    {
        var c = new Candidates();
        c.Reset(10);
        for (int i = 0; i < 6; i++) c.Add(9 - i);
        float[] scores = [0.5f, 2f, float.NaN, 2f, 1f, float.NegativeInfinity];
        scores.CopyTo(c.Scores);

        var top3 = new int[3];
        Assert.Equal(3, c.Top(top3));
        Assert.Equal([1, 3, 4], top3);

        var all = new int[10];
        Assert.Equal(5, c.Top(all));
        Assert.Equal([1, 3, 4, 0, 5], all[..5]);
        Assert.Equal(0, c.Top([]));

        // Equal scores: the earlier slot first, and it keeps its place in a full destination.
        c.Scores.Fill(1f);
        var two = new int[2];
        c.Top(two);
        Assert.Equal([0, 1], two);
    }
}
