using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Recommenders;

namespace RecoFlow.Recommendations.Tests;

/// <summary>
/// The prequential protocol on the full MovieLens latest-small log (100,004 events) against the reference script's
/// count of test events and popularity recall (docs/recommendation-evaluation.md). The job itself is evaluated through
/// the same evaluator by <c>recoflow evaluate</c>.
/// </summary>
[Trait("Category", "Slow")]
public class MovieLensProtocolTests
{
    [Fact]
    public void ProtocolMatchesTheReferenceScriptOnTheFullLog()
    {
        string dir = TestSupport.MovieLensDir();
        ItemCatalog catalog = MovieLensLoader.LoadMovies(Path.Combine(dir, "movies.csv"));
        EncodedLog log = EncodedLog.Build(MovieLensLoader.LoadRatings(Path.Combine(dir, "ratings.csv")), catalog);

        PrequentialReport report = new PrequentialEvaluator().Run(log, [new PopularityRecommender()], new PrequentialOptions(K: 10));

        Assert.Equal(100_004, report.Events);
        Assert.Equal(50_897, report.TestEvents); // matches the reference script: validates the protocol
        Assert.InRange(report.Results[0].RecallAtK, 0.054, 0.058);
    }
}
