using System.Globalization;
using RecoFlow.Recommendations.Evaluation;
using RecoFlow.Recommendations.Ranking;

/// <summary>The <c>lab</c> mode: where the hybrid's hits lie in its candidate pool (see DppLab.Diagnose).</summary>
internal static class LabExperiments
{
    public static void Run(List<LabCase> cases, EncodedLog log, int topN)
    {
        DppLab.Diagnose(cases, log.ItemCategories, topN);
        var jaccard = new CategoryJaccardSimilarity(log.ItemCategories);
        var top = DppLab.Score(cases, jaccard, (c, k) => c.Ids.Take(k).ToArray());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pool prefix as the list (must equal the hybrid row): recall {top.Recall:0.0000}, ILD {top.Ild:0.0000}"));
    }
}
