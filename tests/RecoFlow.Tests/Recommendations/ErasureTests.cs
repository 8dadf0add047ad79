using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Streaming.Ingest;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>Opt-out erases a user's keyed state, and the erasure survives a restore from a checkpoint taken before it.</summary>
public sealed class ErasureTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-erasure-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Users(OperatorHarness<UserEvent, ProfiledEvent> h) =>
        h.Context.GetKeyedStateBackend<string>().Keys(UserFeaturesFunction.StateDescriptor.Name).Order(StringComparer.Ordinal);

    [Fact]
    public void An_erasure_holds_after_restoring_a_checkpoint_taken_before_it()
    {
        var catalog = RecommendationOperatorTests.Catalog();
        var log = new ErasureLog(Path.Combine(_dir, "erasures.jsonl"));
        OperatorHarness<UserEvent, ProfiledEvent> Harness() => new(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => catalog, null, log.Read)), typeof(string));

        using var h = Harness().Open();
        h.ProcessElement(RecommendationChain.Event("alice", "h1", InteractionType.Like, T0));
        h.ProcessElement(RecommendationChain.Event("bob", "d1", InteractionType.Click, T0 + 1));
        var older = h.SnapshotAndRestore();
        h.ProcessElement(RecommendationChain.Event("alice", "h2", InteractionType.Click, T0 + 2));
        Assert.Equal(["alice", "bob"], Users(h));

        // Opt-out: logged first, then the control event clears the state at once.
        log.Append(new ErasureRequest("alice", T0 + 10));
        h.ProcessElement(UserEvent.Erasure("alice", T0 + 10));
        Assert.Equal(["bob"], Users(h));
        Assert.True(h.OutputValues[^1].Event.IsErasure);

        // Recovery from the older checkpoint: its snapshot still holds alice, and the source replays her events.
        using var restored = Harness().Open(older);
        Assert.Equal(["bob"], Users(restored));
        restored.ProcessElement(RecommendationChain.Event("alice", "h2", InteractionType.Click, T0 + 2));
        restored.ProcessElement(RecommendationChain.Event("bob", "d2", InteractionType.Click, T0 + 3));
        Assert.Equal(["bob"], Users(restored));
        Assert.Equal(["bob"], restored.OutputValues.Select(o => o.Event.UserKey));

        // After opting in again, new events build new state.
        restored.ProcessElement(RecommendationChain.Event("alice", "d3", InteractionType.Click, T0 + 20));
        Assert.Equal(["alice", "bob"], Users(restored));
    }

    [Fact]
    public void Validation_routes_erasure_control_events_to_their_side_output()
    {
        using var h = new OperatorHarness<string, Interaction>(() => new ProcessOperator<string, Interaction>(new ValidateInteractions())).Open();
        h.ProcessElement(ErasureLog.ControlJson(new ErasureRequest("p-123", T0)));
        h.ProcessElement("""{"event_id":"e1","user_id":"u1","item_id":"i1","type":"click","ts":1700000000000}""");
        Assert.Equal(["e1"], h.OutputValues.Select(e => e.EventId));
        Assert.Equal(new ErasureRequest("p-123", T0), Assert.Single(h.SideOutput(ValidateInteractions.Erasures)).Value);
        Assert.Empty(h.DeadLetters);
    }

    [Fact]
    public void The_erasure_log_keeps_the_latest_time_per_user_and_skips_a_torn_line()
    {
        var path = Path.Combine(_dir, "log.jsonl");
        var log = new ErasureLog(path);
        log.Append(new ErasureRequest("a", 5));
        log.Append(new ErasureRequest("a", 9));
        log.Append(new ErasureRequest("b", 1));
        File.AppendAllText(path, "{\"user_key\":\"c\",\"era");
        Assert.Equal(new Dictionary<string, long> { ["a"] = 9, ["b"] = 1 }, log.Read());
    }
}
