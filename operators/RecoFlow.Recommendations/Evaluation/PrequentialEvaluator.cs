using System.Diagnostics;
using System.Runtime.InteropServices;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Evaluation;

/// <summary>Settings of a prequential run.</summary>
/// <param name="K">List length.</param>
/// <param name="MaxEvents">Evaluate only this prefix of the log (all events when null).</param>
/// <param name="TestFrom">Events before this index are learned but never tested (0 = test the whole log). Used to
/// compare with a model trained offline on that prefix, which would otherwise be tested on its own training data.</param>
public sealed record PrequentialOptions(int K = 10, int? MaxEvents = null, int TestFrom = 0);

/// <summary>Measured quality of one recommender in a prequential run.</summary>
public sealed record RecommenderMetrics(
    string Name,
    long TestEvents,
    long Hits,
    double RecallAtK,
    double NdcgAtK,
    double Mrr,
    double IntraListDiversity,
    double Coverage,
    double GiniOfExposure,
    double Novelty,
    double Seconds);

/// <summary>Result of <see cref="PrequentialEvaluator.Run"/>.</summary>
public sealed record PrequentialReport(int K, long Events, long TestEvents, IReadOnlyList<RecommenderMetrics> Results);

/// <summary>
/// Prequential ("test, then train") evaluation over an <see cref="EncodedLog"/>:
/// <list type="number">
/// <item>Events are processed in log order (timestamp order, file order for ties).</item>
/// <item>An event is a <i>test event</i> when it is positive (<see cref="InteractionTypes.IsPositive"/>), its user has
/// an earlier positive event, and its item is not among that user's earlier positive items.</item>
/// <item>For a test event each recommender is asked for K items for the user from its state before the event, with
/// the user's earlier positive items as the exclusion list; a hit is the event's item in the list at rank r (1-based):
/// recall@K = hits / test events, NDCG@K adds 1/log₂(r+1) per hit (one relevant item, so IDCG = 1), MRR adds 1/r
/// per hit (0 when outside the top K), all averaged over test events.</item>
/// <item>Then every recommender learns the event (every event, test or not).</item>
/// </list>
/// Beyond accuracy, over all lists served at test events: ILD with category-Jaccard distance, catalogue coverage and
/// Gini of exposure over the log's items, novelty −log₂ p(i) with p(i) = (c_i + 1) / (N + |items|), c_i the earlier
/// positive events on i and N all earlier positive events (popularity as known at the time of the request).
/// </summary>
public sealed class PrequentialEvaluator
{
    public PrequentialReport Run(EncodedLog log, IReadOnlyList<IRecommender> recommenders, PrequentialOptions options)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(recommenders);
        ArgumentNullException.ThrowIfNull(options);
        int k = options.K;
        int n = Math.Min(log.Events.Count, options.MaxEvents ?? int.MaxValue);
        int r = recommenders.Count;
        var similarity = new CategoryJaccardSimilarity(log.ItemCategories);
        var audits = new DiversityAudit[r];
        var hits = new long[r];
        var ndcg = new double[r];
        var mrr = new double[r];
        var ticks = new long[r];
        for (int j = 0; j < r; j++) audits[j] = new DiversityAudit(similarity, Math.Max(1, log.ItemCount));

        var userPositives = new List<int>?[log.UserCount];
        var positivePairs = new HashSet<long>();
        var itemPositiveCounts = new long[log.ItemCount];
        long totalPositives = 0;
        long tests = 0;
        var list = new int[k];
        for (int t = 0; t < n; t++)
        {
            FeedbackEvent e = log.Events[t];
            bool positive = e.IsPositive;
            long pair = ((long)e.User << 32) | (uint)e.Item;
            List<int>? earlier = userPositives[e.User];
            if (positive && t >= options.TestFrom && earlier is { Count: > 0 } && !positivePairs.Contains(pair))
            {
                tests++;
                ReadOnlySpan<int> exclude = CollectionsMarshal.AsSpan(earlier);
                double denom = totalPositives + log.ItemCount;
                for (int j = 0; j < r; j++)
                {
                    long start = Stopwatch.GetTimestamp();
                    int m = recommenders[j].Recommend(e.User, k, exclude, e.TimestampMs, list);
                    ticks[j] += Stopwatch.GetTimestamp() - start;
                    ReadOnlySpan<int> served = list.AsSpan(0, m);
                    double nov = 0;
                    for (int p = 0; p < m; p++)
                    {
                        int item = served[p];
                        nov += -Math.Log2((itemPositiveCounts[item] + 1) / denom);
                        if (item == e.Item)
                        {
                            hits[j]++;
                            ndcg[j] += 1.0 / Math.Log2(p + 2);
                            mrr[j] += 1.0 / (p + 1);
                        }
                    }

                    audits[j].Observe(served, default);
                    audits[j].ObserveNovelty(nov, m);
                }
            }

            for (int j = 0; j < r; j++)
            {
                long start = Stopwatch.GetTimestamp();
                recommenders[j].Learn(e);
                ticks[j] += Stopwatch.GetTimestamp() - start;
            }

            if (positive && positivePairs.Add(pair))
            {
                (userPositives[e.User] ??= []).Add(e.Item);
            }

            if (positive)
            {
                itemPositiveCounts[e.Item]++;
                totalPositives++;
            }
        }

        var results = new RecommenderMetrics[r];
        for (int j = 0; j < r; j++)
        {
            double d = Math.Max(1, tests);
            results[j] = new RecommenderMetrics(
                recommenders[j].Name, tests, hits[j], hits[j] / d, ndcg[j] / d, mrr[j] / d,
                audits[j].IntraListDiversity, audits[j].Coverage, audits[j].GiniOfExposure, audits[j].Novelty,
                (double)ticks[j] / Stopwatch.Frequency);
        }

        return new PrequentialReport(k, n, tests, results);
    }
}
