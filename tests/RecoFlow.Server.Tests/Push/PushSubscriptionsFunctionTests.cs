using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Push;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Recommendations.Streaming.Push;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.TestKit;

namespace RecoFlow.Server.Tests.Push;

/// <summary>Web Push subscriptions in the job's keyed state by user: candidates for subscribed users, gone with the user's erasure.</summary>
public sealed class PushSubscriptionsFunctionTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private static readonly WebPushSubscription Sub = new("https://push.example/s/1", "BPub", "auth");
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-push-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static OperatorHarness<PushInput, PushCandidate> Harness(ErasureLog? log = null) => new(
        () => new KeyedProcessOperator<string, PushInput, PushCandidate>(i => i.UserKey, new PushSubscriptionsFunction(log is null ? null : log.Read, keepItems: 3)), typeof(string));

    private static PushInput List(string user, params string[] items) =>
        PushInput.Of(new Recommendation(user, items, new float[items.Length], 1, "e-" + string.Join("", items), T0, 1, ListTrigger.Interaction));

    private static PushInput Subscribe(string user, long at, WebPushSubscription? s = null) => PushInput.Of(new PushSubscriptionChange(user, s ?? Sub, at));

    private static IEnumerable<string> Subscribed(OperatorHarness<PushInput, PushCandidate> h) =>
        h.Context.GetKeyedStateBackend<string>().Keys(PushSubscriptionsFunction.StateDescriptor.Name).Order(StringComparer.Ordinal);

    [Fact]
    public void Lists_of_subscribed_users_become_candidates_with_the_previous_list()
    {
        using var h = Harness().Open();
        h.ProcessElement(List("alice", "a", "b"));           // not subscribed yet: nothing
        h.ProcessElement(Subscribe("alice", T0));
        h.ProcessElement(List("alice", "c", "d", "e", "f"));
        h.ProcessElement(List("bob", "x"));                  // never subscribed
        h.ProcessElement(List("alice", "g", "c"));
        h.ProcessElement(PushInput.Of(new Recommendation("alice", [], [], 1, "erase", T0, 0, ListTrigger.Erased)));
        Assert.Equal(2, h.OutputValues.Count);
        var (first, second) = (h.OutputValues[0], h.OutputValues[1]);
        Assert.Equal((string[])[], first.PreviousItems);
        Assert.Equal(["c", "d", "e", "f"], first.Items);
        Assert.Equal(Sub, first.Subscription);
        Assert.Equal(["c", "d", "e"], second.PreviousItems);  // the head kept: keepItems 3
        Assert.Equal(["g", "c"], second.Items);
        Assert.Equal(["alice"], Subscribed(h));
    }

    [Fact]
    public void The_latest_change_wins_and_an_unsubscription_removes_the_state()
    {
        using var h = Harness().Open();
        var newer = Sub with { Endpoint = "https://push.example/s/2" };
        h.ProcessElement(Subscribe("alice", T0 + 5, newer));
        h.ProcessElement(Subscribe("alice", T0 + 1));       // older, arriving late: ignored
        h.ProcessElement(List("alice", "a"));
        Assert.Equal(newer, Assert.Single(h.OutputValues).Subscription);
        h.ProcessElement(PushInput.Of(new PushSubscriptionChange("alice", null, T0 + 9)));
        Assert.Empty(Subscribed(h));
        h.ProcessElement(List("alice", "b"));
        Assert.Single(h.OutputValues);
    }

    [Fact]
    public void An_erasure_drops_the_subscription_and_it_stays_dropped_after_restoring_an_older_checkpoint()
    {
        var log = new ErasureLog(Path.Combine(_dir, "erasures.jsonl"));
        using var h = Harness(log).Open();
        h.ProcessElement(Subscribe("alice", T0));
        h.ProcessElement(Subscribe("bob", T0));
        var older = h.SnapshotAndRestore();
        Assert.Equal(["alice", "bob"], Subscribed(h));

        log.Append(new ErasureRequest("alice", T0 + 10));
        h.ProcessElement(PushInput.Of(new ErasureRequest("alice", T0 + 10)));
        Assert.Equal(["bob"], Subscribed(h));
        h.ProcessElement(List("alice", "a"));
        Assert.Empty(h.OutputValues);

        // A restore from the checkpoint before the erasure: the log removes alice's subscription again, and the replayed
        // subscription (timestamped before the erasure) is dropped.
        using var restored = Harness(log).Open(older);
        Assert.Equal(["bob"], Subscribed(restored));
        restored.ProcessElement(Subscribe("alice", T0));
        restored.ProcessElement(List("alice", "a"));
        restored.ProcessElement(List("bob", "b"));
        Assert.Equal(["bob"], restored.OutputValues.Select(c => c.UserKey));

        // Subscribing again after the erasure (having opted in again) holds, also across a restore.
        restored.ProcessElement(Subscribe("alice", T0 + 20));
        using var again = Harness(log).Open(restored.Snapshot());
        Assert.Equal(["alice", "bob"], Subscribed(again));
    }

    [Fact]
    public void Validation_routes_push_control_events_to_their_side_output_and_rejects_malformed_ones()
    {
        using var h = new OperatorHarness<string, Interaction>(() => new ProcessOperator<string, Interaction>(new ValidateInteractions())).Open();
        using var browser = new UserAgent();
        var change = new PushSubscriptionChange("p-1", browser.Subscription("https://push.example/x"), T0);
        h.ProcessElement(change.ControlJson());
        h.ProcessElement(new PushSubscriptionChange("p-2", null, T0).ControlJson());
        h.ProcessElement("""{"push_user":"p-3","ts":1,"subscription":{"endpoint":"https://push.example/x","keys":{"p256dh":"short","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}}""");
        Assert.Empty(h.OutputValues);
        Assert.Equal([change, new PushSubscriptionChange("p-2", null, T0)], h.SideOutput(ValidateInteractions.PushSubscriptions).Select(s => s.Value));
        Assert.Contains("p256dh", Assert.Single(h.DeadLetters).Reason, StringComparison.Ordinal);
    }
}
