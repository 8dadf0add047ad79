using RecoFlow.Recommendations.Streaming.Scoring;
using static RecoFlow.Tests.Recommendations.Scoring.Deltas;

namespace RecoFlow.Tests.Recommendations.Scoring;

public sealed class ExclusionMarksTests
{
    private static ModelStore Store(params string[] items)
    {
        var store = new ModelStore();
        store.Enqueue(Delta(100, 0, [.. items.Select(i => Popularity(i, 1))]));
        store.AdvanceTo(100);
        return store;
    }

    private static UserScoringState User(params string[] seen)
    {
        var user = new UserScoringState();
        foreach (var item in seen) user.Remember(item, positive: item.StartsWith('p'), maxSeen: 2_000);
        return user;
    }

    /// <summary>The items of the store the marks exclude, by id.</summary>
    private static string[] Excluded(ExclusionMarks marks, ModelStore store) =>
        [.. Enumerable.Range(0, store.Count).Where(marks.IsExcluded).Select(i => store.Ids[i]).Order(StringComparer.Ordinal)];

    [Fact]
    public void Excludes_the_seen_items_the_store_knows_or_only_the_positives()
    {
        var store = Store("a", "p1", "b", "c");
        var user = User("a", "p1", "unknown");
        var marks = new ExclusionMarks();

        marks.Bind(store, user, excludeSeen: true);
        Assert.Equal(["a", "p1"], Excluded(marks, store));

        marks.Bind(store, user, excludeSeen: false);
        Assert.Equal(["p1"], Excluded(marks, store));
    }

    [Fact]
    public void Follow_the_users_next_item_and_switch_between_users()
    {
        var store = Store("a", "b", "c", "d");
        var first = User("a");
        var second = User("c");
        var marks = new ExclusionMarks();

        marks.Bind(store, first, excludeSeen: true);
        Assert.Equal(["a"], Excluded(marks, store));
        first.Remember("b", positive: false, maxSeen: 2_000);
        marks.Bind(store, first, excludeSeen: true);
        Assert.Equal(["a", "b"], Excluded(marks, store));

        marks.Bind(store, second, excludeSeen: true);
        Assert.Equal(["c"], Excluded(marks, store));
        marks.Bind(store, first, excludeSeen: true);
        Assert.Equal(["a", "b"], Excluded(marks, store));
    }

    [Fact]
    public void Are_rebuilt_when_the_store_learns_an_item_the_user_has_seen()
    {
        var store = Store("a");
        var user = User("a", "late");
        var marks = new ExclusionMarks();
        marks.Bind(store, user, excludeSeen: true);
        Assert.Equal(["a"], Excluded(marks, store));

        store.Enqueue(Delta(200, 0, Popularity("late", 1), Popularity("other", 1)));
        store.AdvanceTo(200);
        marks.Bind(store, user, excludeSeen: true);
        Assert.Equal(["a", "late"], Excluded(marks, store));
    }

    [Fact]
    public void Forget_what_the_user_forgot()
    {
        var store = Store([.. Enumerable.Range(0, 40).Select(i => $"i{i}")]);
        var user = new UserScoringState();
        var marks = new ExclusionMarks();
        for (int i = 0; i < 40; i++)
        {
            user.Remember($"i{i}", positive: false, maxSeen: 16);
            marks.Bind(store, user, excludeSeen: true);
            Assert.Equal(user.Seen.Order(StringComparer.Ordinal), Excluded(marks, store));
        }
        Assert.DoesNotContain("i0", Excluded(marks, store));
    }

    [Fact]
    public void A_heavy_user_is_checked_against_the_set()
    {
        int n = ExclusionMarks.MaxMarked + 10;
        var store = Store([.. Enumerable.Range(0, n + 5).Select(i => $"i{i}")]);
        var user = User([.. Enumerable.Range(0, n).Select(i => $"i{i}")]);
        var marks = new ExclusionMarks();

        marks.Bind(store, user, excludeSeen: true);
        Assert.Equal(user.Seen.Order(StringComparer.Ordinal), Excluded(marks, store));
        user.Remember($"i{n}", positive: false, maxSeen: 2_000);
        marks.Bind(store, user, excludeSeen: true);
        Assert.Contains($"i{n}", Excluded(marks, store));
        Assert.DoesNotContain($"i{n + 1}", Excluded(marks, store));
    }
}
