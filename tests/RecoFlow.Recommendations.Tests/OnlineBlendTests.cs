using MessagePack;
using MessagePack.Resolvers;
using RecoFlow.Recommendations.Ranking;

namespace RecoFlow.Recommendations.Tests;

public class OnlineBlendTests
{
    private const int Candidates = 20;

    /// <summary>
    /// Lists of <see cref="Candidates"/> candidates with two features in [0, 1]: feature 0 is noise, feature 1 predicts
    /// the label (the chosen candidate is the one with the highest feature 1 plus a little noise).
    /// </summary>
    private static IEnumerable<(float[] Features, int Label)> Stream(int seed, int lists)
    {
        var rng = new Random(seed);
        for (int n = 0; n < lists; n++)
        {
            var x = new float[Candidates * 2];
            int label = 0;
            double best = double.MinValue;
            for (int c = 0; c < Candidates; c++)
            {
                x[2 * c] = (float)rng.NextDouble();
                x[2 * c + 1] = (float)rng.NextDouble();
                double v = x[2 * c + 1] + 0.1 * rng.NextDouble();
                if (v > best) (best, label) = (v, c);
            }
            yield return (x, label);
        }
    }

    private static bool InTop3(ReadOnlySpan<float> scores, int label)
    {
        int better = 0;
        for (int c = 0; c < scores.Length; c++) if (scores[c] > scores[label]) better++;
        return better < 3;
    }

    /// <summary>Share of the lists of <paramref name="lists"/> whose label the blend ranks in its top 3.</summary>
    private static double Top3Accuracy(OnlineBlend blend, OnlineBlendState state, IEnumerable<(float[] Features, int Label)> lists)
    {
        var scores = new float[Candidates];
        return lists.Average(l =>
        {
            blend.Score(state, l.Features, Candidates, scores);
            return InTop3(scores, l.Label) ? 1.0 : 0.0;
        });
    }

    [Fact]
    public void The_blend_learns_to_weigh_the_feature_that_predicts_the_choice_and_its_ranking_improves()
    {
        // The priors trust the noise feature and ignore the predictive one.
        var blend = new OnlineBlend(new OnlineBlendOptions([1f, 0f], LearnRate: 0.1f));
        var state = blend.NewState();
        var heldOut = Stream(seed: 4, lists: 500).ToList();
        double atPriors = Top3Accuracy(blend, state, heldOut);

        var scores = new float[Candidates];
        var hits = new List<bool>();
        foreach (var (x, label) in Stream(seed: 3, lists: 1_500))
        {
            // Prequential: the list is scored before its label is learned.
            blend.Score(state, x, Candidates, scores);
            hits.Add(InTop3(scores, label));
            blend.Learn(state, x, scores, Candidates, label);
        }

        Assert.True(state.Weights[1] > 1f, $"predictive weight {state.Weights[1]}");
        Assert.True(state.Weights[1] > 5 * Math.Abs(state.Weights[0]), $"weights {state.Weights[0]}, {state.Weights[1]}");
        Assert.Equal(1_500, state.Updates);
        Assert.Equal(0, state.Misses);
        Assert.All(state.SquaredGradients, g => Assert.True(g > 0));

        double learned = Top3Accuracy(blend, state, heldOut);
        double first = hits.Take(20).Average(h => h ? 1.0 : 0.0), last = hits.TakeLast(200).Average(h => h ? 1.0 : 0.0);
        Assert.True(atPriors < 0.3, $"top-3 accuracy at the priors {atPriors}");
        Assert.True(learned > 0.8, $"top-3 accuracy after learning {learned} (at the priors {atPriors})");
        Assert.True(last > first, $"prequential top-3 accuracy: first 20 lists {first}, last 200 {last}");
    }

    [Fact]
    public void One_step_moves_weight_toward_the_features_of_the_chosen_candidate()
    {
        var blend = new OnlineBlend(new OnlineBlendOptions([0f, 0f, 0f], LearnRate: 0.05f, L2: 0));
        var state = blend.NewState();
        // Candidate 1 (chosen) is high on feature 0, the others on feature 1; feature 2 is the same everywhere.
        float[] x = [0, 1, 0.5f, 1, 0, 0.5f, 0, 1, 0.5f];
        var scores = new float[3];
        blend.Score(state, x, 3, scores);
        Assert.All(scores, s => Assert.Equal(0f, s));
        blend.Learn(state, x, scores, 3, chosen: 1);
        Assert.True(state.Weights[0] > 0);
        Assert.True(state.Weights[1] < 0);
        Assert.Equal(0f, state.Weights[2], 6);
        blend.Score(state, x, 3, scores);
        Assert.True(scores[1] > scores[0] && scores[1] > scores[2]);
    }

    [Fact]
    public void A_list_without_its_label_or_with_one_candidate_is_a_miss_and_teaches_nothing()
    {
        var blend = new OnlineBlend(new OnlineBlendOptions([0.5f, 0.25f]));
        var state = blend.NewState();
        float[] x = [1, 0, 0, 1];
        var scores = new float[2];
        blend.Score(state, x, 2, scores);
        blend.Learn(state, x, scores, 2, chosen: -1);
        blend.Learn(state, x, scores, 1, chosen: 0);
        Assert.Equal(2, state.Misses);
        Assert.Equal(0, state.Updates);
        Assert.Equal([0.5f, 0.25f], state.Weights);
        Assert.Equal([0f, 0f], state.SquaredGradients);
    }

    [Fact]
    public void A_state_learned_with_fewer_features_grows_new_ones_at_their_priors_and_keeps_the_rest()
    {
        var two = new OnlineBlend(new OnlineBlendOptions([1f, 1f]));
        var state = two.NewState();
        float[] x2 = [1, 0, 0, 1];
        var s2 = new float[2];
        two.Score(state, x2, 2, s2);
        two.Learn(state, x2, s2, 2, chosen: 0);
        float[] learned = [.. state.Weights], g2 = [.. state.SquaredGradients];

        // A checkpoint written with two features, read by a job whose blend has three.
        var options = ContractlessStandardResolver.Options;
        var restored = MessagePackSerializer.Deserialize<OnlineBlendState>(MessagePackSerializer.Serialize(state, options), options);
        Assert.Equal(1, restored.Updates);
        var three = new OnlineBlend(new OnlineBlendOptions([1f, 1f, 0.7f]));
        float[] x3 = [1, 0, 2, 0, 1, 0];
        var s3 = new float[2];
        three.Score(restored, x3, 2, s3);
        Assert.Equal([learned[0], learned[1], 0.7f], restored.Weights);
        Assert.Equal([g2[0], g2[1], 0f], restored.SquaredGradients);
        Assert.Equal(learned[0] + 1.4f, s3[0], 5);
        Assert.Equal(learned[1], s3[1], 5);
        three.Learn(restored, x3, s3, 2, chosen: 0);
        Assert.True(restored.Weights[2] > 0.7f);
        Assert.Equal(2, restored.Updates);
    }
}
