using RecoFlow.Api.Operators;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Recommendations.Streaming.Records;
using RecoFlow.Recommendations.Streaming.Scoring;
using RecoFlow.Recommendations.Streaming.Users;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// The keyed part of the recommendation dataflow as three operator harnesses wired by hand — user features → item
/// model → (broadcast) scoring — so that tests decide exactly when a model version reaches the scoring task.
/// </summary>
internal sealed class RecommendationChain : IDisposable
{
    private int _profiledSeen, _feedbackSeen, _deltasSeen;

    /// <param name="function">The scoring function to run (the harness runs a subtask's copy of it, as the runtime does); by default a new one with <paramref name="scoring"/>.</param>
    public RecommendationChain(ItemCatalog catalog, ItemModelOptions? model = null, ScoringOptions? scoring = null, ScoringFunction? function = null)
    {
        Users = new OperatorHarness<UserEvent, ProfiledEvent>(
            () => new KeyedProcessOperator<string, UserEvent, ProfiledEvent>(e => e.UserKey, new UserFeaturesFunction(() => catalog)), typeof(string)).Open();
        Items = new OperatorHarness<ItemFeedback, ModelDelta>(() => new ItemModelOperator(model ?? new ItemModelOptions(PublishInterval: TimeSpan.FromMinutes(1))), typeof(string)).Open();
        Scoring = new TwoInputOperatorHarness<ProfiledEvent, ModelMessage, Recommendation>(
            () => new KeyedBroadcastProcessOperator<string, ProfiledEvent, ModelMessage, Recommendation>(e => e.Event.UserKey, function ?? new ScoringFunction(() => catalog, scoring ?? new ScoringOptions())),
            typeof(string)).Open();
    }

    public OperatorHarness<UserEvent, ProfiledEvent> Users { get; }
    public OperatorHarness<ItemFeedback, ModelDelta> Items { get; }
    public TwoInputOperatorHarness<ProfiledEvent, ModelMessage, Recommendation> Scoring { get; }
    public List<ModelDelta> Versions { get; } = [];

    /// <summary>
    /// Sends an event through the chain; versions the item model publishes meanwhile reach scoring first. Returns what
    /// scoring emitted, in the order it emitted it: the probe (on its side output) before the list served after the event.
    /// </summary>
    public IReadOnlyList<Recommendation> Send(UserEvent e)
    {
        Users.ProcessElement(e, e.TimestampMs);
        var feedback = Users.SideOutput(UserFeaturesFunction.ItemFeedbackOutput);
        for (; _feedbackSeen < feedback.Count; _feedbackSeen++) Items.ProcessElement(feedback[_feedbackSeen].Value, feedback[_feedbackSeen].Timestamp);
        DeliverVersions();
        int before = Scoring.OutputValues.Count;
        int probesBefore = Probes.Count;
        var profiled = Users.OutputValues;
        for (; _profiledSeen < profiled.Count; _profiledSeen++) Scoring.ProcessElement1(profiled[_profiledSeen], profiled[_profiledSeen].Event.TimestampMs);
        return [.. Probes.Skip(probesBefore), .. Scoring.OutputValues.Skip(before)];
    }

    /// <summary>Every probe list scoring emitted so far (<see cref="ScoringFunction.ProbesOutput"/>).</summary>
    public IReadOnlyList<Recommendation> Probes => Scoring.SideOutput(ScoringFunction.ProbesOutput).Select(p => p.Value).ToList();

    /// <summary>The user's list now, without an interaction.</summary>
    public Recommendation Request(string user, long timestampMs) => Send(UserEvent.Request(user, timestampMs)).Single();

    public void Control(ModelMessage message) => Scoring.ProcessElement2(message, 0);

    private void DeliverVersions()
    {
        var deltas = Items.OutputValues;
        for (; _deltasSeen < deltas.Count; _deltasSeen++)
        {
            Versions.Add(deltas[_deltasSeen]);
            Scoring.ProcessElement2(ModelMessage.Publish(deltas[_deltasSeen]), deltas[_deltasSeen].CutMs - 1);
        }
    }

    /// <summary>The four genres of <see cref="GenreCatalog"/>.</summary>
    public static readonly string[] Genres = ["Drama", "Horror", "Comedy", "SciFi"];

    /// <summary>Twelve items per genre ("Drama0".."Drama11"); every <paramref name="secondGenreEvery"/>-th item also has the next genre.</summary>
    public static ItemCatalog GenreCatalog(int secondGenreEvery)
    {
        var c = new ItemCatalog();
        for (int g = 0; g < Genres.Length; g++)
            for (int i = 0; i < 12; i++)
                c.Add(new CatalogItem($"{Genres[g]}{i}", $"{Genres[g]} {i}", i % secondGenreEvery == 0 ? [Genres[g], Genres[(g + 1) % Genres.Length]] : [Genres[g]]));
        return c;
    }

    /// <summary>
    /// 24 users who mostly click one genre (their number mod 4; a random one in five events), three events each per round,
    /// then a "ticker" view two minutes later, past a publish boundary (a model version after each round).
    /// </summary>
    /// <param name="viewEvery">With a value: about one event in that many is a view instead of a click.</param>
    public static IEnumerable<UserEvent> GenreRounds(long start, int seed, int rounds, int? viewEvery = null)
    {
        var rng = new Random(seed);
        long t = start;
        for (int round = 0; round < rounds; round++)
        {
            for (int u = 0; u < 24; u++)
            {
                for (int n = 0; n < 3; n++)
                {
                    int g = rng.Next(5) == 0 ? rng.Next(Genres.Length) : u % Genres.Length;
                    var item = $"{Genres[g]}{rng.Next(12)}";
                    var type = viewEvery is int v && rng.Next(v) == 0 ? InteractionType.View : InteractionType.Click;
                    yield return Event($"u{u}", item, type, t += 1_000);
                }
            }
            t += 120_000;
            yield return Event("ticker", "Drama0", InteractionType.View, t);
        }
    }

    public static UserEvent Event(string user, string item, InteractionType type, long ts, double? value = null)
    {
        bool positive = InteractionTypes.IsPositive(type, (float)(value ?? 0));
        double weight = new RecoFlow.Recommendations.Features.ImplicitSignalWeights().Weight(type, value);
        return new UserEvent($"{user}-{item}-{ts}", user, item, type, value, ts, weight, positive, ContextFeatures.None, DateTime.UtcNow.Ticks);
    }

    public void Dispose()
    {
        Users.Dispose();
        Items.Dispose();
        Scoring.Dispose();
    }
}
