using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Connectors.Memory;
using RecoFlow.TestKit;

namespace CustomRecommender.Tests;

public sealed class NextItemRecommenderTests
{
    [Fact]
    public void Transitions_remember_each_users_last_item_across_a_snapshot_and_restore()
    {
        using var harness = new OperatorHarness<View, Transition>(
            () => new KeyedProcessOperator<string, View, Transition>(v => v.User, new Transitions()), typeof(string)).Open();
        harness.ProcessElement(new View("u1", "shoes", 1), 1);
        harness.ProcessElement(new View("u2", "hat", 2), 2);
        harness.SnapshotAndRestore();
        harness.ProcessElement(new View("u1", "socks", 3), 3);
        harness.ProcessElement(new View("u1", "socks", 4), 4); // the same item again is no transition
        harness.ProcessElement(new View("u2", "scarf", 5), 5);

        Assert.Equal([new Transition("shoes", "socks"), new Transition("hat", "scarf")], harness.OutputValues);
    }

    [Fact]
    public void Top_followers_count_across_a_snapshot_and_restore()
    {
        using var harness = new OperatorHarness<Transition, Recommendation>(
            () => new KeyedProcessOperator<string, Transition, Recommendation>(t => t.Previous, new TopFollowers(2)), typeof(string)).Open();
        harness.ProcessElement(new Transition("shoes", "socks"), 1);
        harness.ProcessElement(new Transition("shoes", "laces"), 2);
        harness.SnapshotAndRestore();
        harness.ProcessElement(new Transition("shoes", "laces"), 3);
        harness.ProcessElement(new Transition("shoes", "polish"), 4);

        // laces twice (once before the restore), then socks and polish once each: ties go by name.
        Assert.Equal(["laces", "polish"], harness.OutputValues[^1].Next);
        Assert.Equal("shoes", harness.OutputValues[^1].Item);
    }

    [Fact]
    public async Task The_job_recommends_what_others_viewed_next()
    {
        View[] views =
        [
            new("u1", "shoes", 1), new("u1", "socks", 2),
            new("u2", "shoes", 3), new("u2", "socks", 4),
            new("u3", "shoes", 5), new("u3", "laces", 6),
        ];
        var job = new StreamJob("next-item-test");
        var recommendations = new CollectSink<Recommendation>();
        NextItemRecommender.Pipeline(job, new CollectionSource<View>(views), 2).SinkTo(recommendations, "recommendations");

        await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(1));

        var last = recommendations.Items.Last(r => r.Item == "shoes");
        Assert.Equal(["socks", "laces"], last.Next);
        Assert.Equal(3, recommendations.Items.Count(r => r.Item == "shoes"));
    }
}
