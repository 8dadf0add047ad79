using MessagePack;
using RecoFlow.Recommendations.Common;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;

namespace RecoFlow.Recommendations.Recommenders;

/// <summary>Snapshot of a <see cref="BatchMfRecommender"/>.</summary>
[MessagePackObject]
public sealed class BatchMfRecommenderState
{
    [Key(0)] public BatchMfState Model { get; set; } = new();
    [Key(1)] public float[] TrainingPopularity { get; set; } = [];
}

/// <summary>
/// Baseline "train once, never update": a <see cref="BatchMatrixFactorization"/> fitted on the positive events of a
/// log prefix. <see cref="Learn"/> deliberately ignores later events (that is the point of the baseline). Users
/// unknown to the model get the training prefix's popularity ranking; only items seen positively in the prefix can
/// be recommended.
/// </summary>
public sealed class BatchMfRecommender : IRecommender
{
    private readonly BatchMatrixFactorization _model;
    private readonly float[] _trainPop;
    private readonly float[] _scores;

    public BatchMfRecommender(BatchMatrixFactorization model, float[] trainingPopularity)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _trainPop = trainingPopularity ?? throw new ArgumentNullException(nameof(trainingPopularity));
        _scores = new float[Math.Max(model.ItemCount, trainingPopularity.Length)];
    }

    public string Name => "batch-mf";

    /// <summary>Trains on the positive events among the first <paramref name="fraction"/> of <paramref name="events"/>.</summary>
    public static BatchMfRecommender TrainOnPrefix(IReadOnlyList<FeedbackEvent> events, double fraction, BatchMfOptions options)
    {
        ArgumentNullException.ThrowIfNull(events);
        int n = (int)(events.Count * fraction);
        var pairs = new List<(int, int)>();
        int items = 0;
        for (int t = 0; t < n; t++)
        {
            if (!events[t].IsPositive) continue;
            pairs.Add((events[t].User, events[t].Item));
            items = Math.Max(items, events[t].Item + 1);
        }

        var pop = new float[items];
        foreach ((int _, int i) in pairs) pop[i]++;
        return new BatchMfRecommender(BatchMatrixFactorization.Train(pairs, options), pop);
    }

    public void Learn(in FeedbackEvent e)
    {
        // Frozen by design: the batch model is never updated after training.
    }

    public int Recommend(int user, int k, ReadOnlySpan<int> exclude, long nowMs, Span<int> destination)
    {
        Span<float> s = _scores;
        if (!_model.ScoreAll(user, s)) _trainPop.AsSpan().CopyTo(s);
        for (int i = 0; i < s.Length; i++)
        {
            if (i >= _trainPop.Length || _trainPop[i] <= 0) s[i] = float.NegativeInfinity;
        }

        foreach (int x in exclude) if (x < s.Length) s[x] = float.NegativeInfinity;
        return TopK.Select(s, s.Length, destination[..k]);
    }

    public BatchMfRecommenderState Snapshot() => new() { Model = _model.Snapshot(), TrainingPopularity = (float[])_trainPop.Clone() };

    public static BatchMfRecommender Restore(BatchMfRecommenderState s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new BatchMfRecommender(BatchMatrixFactorization.Restore(s.Model), (float[])s.TrainingPopularity.Clone());
    }
}
