using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Models;
using RecoFlow.Recommendations.Recommenders;

namespace RecoFlow.Recommendations.Tests;

/// <summary>
/// Full MovieLens latest-small prequential run (100,004 events). Numbers and the protocol are documented in
/// docs/recommendation-evaluation.md; the bench console reproduces the complete table.
/// </summary>
[Trait("Category", "Slow")]
public class MovieLensPrequentialTests
{
    [Fact]
    public void HybridBeatsPopularityAndBatchMfOnFullLog()
    {
        string dir = TestSupport.MovieLensDir();
        ItemCatalog catalog = MovieLensLoader.LoadMovies(Path.Combine(dir, "movies.csv"));
        EncodedLog log = EncodedLog.Build(MovieLensLoader.LoadRatings(Path.Combine(dir, "ratings.csv")), catalog);
        var hybrid = new HybridRecommender(new HybridOptions(), log.ItemCategories, log.CategoryCount);
        var popularity = new PopularityRecommender();
        BatchMfRecommender batch = BatchMfRecommender.TrainOnPrefix(log.Events, 0.2, new BatchMfOptions());

        PrequentialReport report = new PrequentialEvaluator().Run(log, [hybrid, popularity, batch], new PrequentialOptions(K: 10));

        Assert.Equal(100_004, report.Events);
        Assert.Equal(50_897, report.TestEvents); // matches the reference script: validates the protocol
        RecommenderMetrics h = report.Results[0], p = report.Results[1], b = report.Results[2];
        Assert.InRange(p.RecallAtK, 0.054, 0.058);
        Assert.True(h.RecallAtK >= 1.5 * p.RecallAtK, $"hybrid {h.RecallAtK:0.0000} vs popularity {p.RecallAtK:0.0000}");
        Assert.True(h.RecallAtK > b.RecallAtK, $"hybrid {h.RecallAtK:0.0000} vs batch MF {b.RecallAtK:0.0000}");
        Assert.True(h.NdcgAtK > p.NdcgAtK && h.Mrr > p.Mrr);
    }
}
