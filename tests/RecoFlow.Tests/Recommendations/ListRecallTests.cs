using RecoFlow.Testing;

namespace RecoFlow.Tests.Recommendations;

/// <summary>The recall the exactly-once tests compute from a job's committed lists (<see cref="ListRecall"/>).</summary>
public sealed class ListRecallTests
{
    private static ReplayedEvent E(string id, string user, string item, bool positive = true) => new(id, user, item, positive);

    [Fact]
    public void Counts_a_positive_on_a_new_item_after_an_earlier_positive_and_hits_when_the_previous_list_holds_it()
    {
        ReplayedEvent[] events =
        [
            E("1", "u", "a"),                 // first positive: not relevant
            E("2", "u", "b", positive: false), // negative: not relevant, but its list is the next one's "previous"
            E("3", "u", "c"),                 // relevant: list of 2 holds c -> hit
            E("4", "v", "c"),                 // v's first positive: not relevant
            E("5", "u", "a"),                 // a is already among u's positives: not relevant
            E("6", "u", "d"),                 // relevant: list of 5 lacks d -> miss
            E("7", "v", "x"),                 // relevant: list of 4 has x only after the first K -> miss with K = 2
        ];
        var lists = new Dictionary<string, string[]>
        {
            ["1"] = ["c"], ["2"] = ["z", "c"], ["3"] = [], ["4"] = ["p", "q", "x"], ["5"] = ["c"], ["6"] = [], ["7"] = [],
        };

        var r = ListRecall.Compute(events, lists, k: 2);

        Assert.Equal(new RecallResult(Relevant: 3, Hits: 1), r);
        Assert.Equal(1.0 / 3, r.Recall, 12);
        Assert.Equal(new RecallResult(3, 2), ListRecall.Compute(events, lists, k: 3));
    }

    [Fact]
    public void A_missing_previous_list_is_a_miss_and_users_are_independent()
    {
        ReplayedEvent[] events = [E("1", "u", "a"), E("2", "v", "b"), E("3", "u", "b"), E("4", "v", "a")];
        var lists = new Dictionary<string, string[]> { ["2"] = ["a"] }; // u's first list is missing

        Assert.Equal(new RecallResult(2, 1), ListRecall.Compute(events, lists));
        Assert.Equal(0, new RecallResult(0, 0).Recall);
        Assert.Equal(0.25, new RecallResult(100, 30).RelativeDifference(new RecallResult(100, 40)), 12);
    }
}
