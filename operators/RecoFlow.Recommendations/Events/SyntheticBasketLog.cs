namespace RecoFlow.Recommendations.Events;

/// <summary>Shape of a <see cref="SyntheticBasketLog"/>.</summary>
/// <param name="Users">Customers; each places 1 to 6 orders, 1 to 29 days apart, the first within 60 days.</param>
/// <param name="Items">Products; their popularity falls as 1 / (1 + rank)^<paramref name="PopularitySkew"/>.</param>
/// <param name="BundleShare">Share of an order's further lines that are a complement of a line already in it (each
/// product has four complements among its neighbours in the catalogue); of the rest, a quarter are earlier purchases
/// of the customer and three quarters popular products.</param>
/// <param name="PopularitySkew">Exponent of the popularity curve: higher makes the popular products a better guess.</param>
/// <param name="Seed">Seed of the generator: the same arguments give the same log.</param>
public sealed record SyntheticBasketLogOptions(
    int Users = 4_000,
    int Items = 10_000,
    double BundleShare = 0.85,
    double PopularitySkew = 0.6,
    int Seed = 5)
{
    /// <summary>The first problem of these options, or null.</summary>
    public string? Problem() =>
        Users < 1 ? "users must be at least 1"
        : Items < 100 ? "items must be at least 100"
        : BundleShare is < 0 or > 1 ? "bundle-share must be between 0 and 1"
        : PopularitySkew is < 0 or > 3 ? "popularity-skew must be between 0 and 3"
        : null;
}

/// <summary>
/// A synthetic shop log with baskets, for checking the recommendation job on the shape of a retail purchase log: the
/// lines of one order share a timestamp, products are bought with their complements ("frequently bought together"),
/// customers come back and buy again. Not evidence of quality on a real shop: a check that the job is not tied to
/// one log's shape (docs/recommendation-evaluation.md). Events are in timestamp order, one <c>purchase</c> per line,
/// with personalisation consent.
/// </summary>
public static class SyntheticBasketLog
{
    private const int Complements = 4;
    private const int ComplementSpan = 40;
    private const long Day = 86_400_000;
    private const long Start = 1_600_000_000_000;

    public static IReadOnlyList<Interaction> Generate(SyntheticBasketLogOptions options)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem, nameof(options));
        var random = new Random(options.Seed);
        int n = options.Items;
        var cumulative = new double[n];
        double sum = 0;
        for (int r = 0; r < n; r++) cumulative[r] = sum += 1.0 / Math.Pow(1 + r, options.PopularitySkew);
        var complements = new int[n][];
        for (int i = 0; i < n; i++)
        {
            int lo = Math.Max(0, i - ComplementSpan), hi = Math.Min(n, i + ComplementSpan);
            var picked = new int[Complements];
            for (int c = 0; c < Complements; c++) picked[c] = random.Next(lo, hi);
            complements[i] = picked;
        }

        int Popular()
        {
            int k = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            return Math.Min(n - 1, k >= 0 ? k : ~k);
        }

        var lines = new List<(long Ts, int User, int Item)>();
        var history = new List<int>();
        var basket = new List<int>();
        for (int u = 0; u < options.Users; u++)
        {
            long ts = Start + random.NextInt64(60 * Day);
            history.Clear();
            int orders = random.Next(1, 7);
            for (int o = 0; o < orders; o++)
            {
                basket.Clear();
                basket.Add(Popular());
                int size = 1 + random.Next(1, 8);
                while (basket.Count < size)
                {
                    double roll = random.NextDouble();
                    double rest = (roll - options.BundleShare) / Math.Max(1e-9, 1 - options.BundleShare);
                    int item = roll < options.BundleShare ? complements[basket[random.Next(basket.Count)]][random.Next(Complements)]
                        : rest < 0.25 && history.Count > 0 ? history[random.Next(history.Count)]
                        : Popular();
                    basket.Add(item);
                }
                foreach (int item in basket.Distinct())
                {
                    lines.Add((ts, u, item));
                    history.Add(item);
                }
                ts += random.Next(1, 30) * Day;
            }
        }

        // Stable: the lines of one order keep their order.
        var ordered = lines.OrderBy(l => l.Ts).ToList();
        var events = new Interaction[ordered.Count];
        for (int i = 0; i < ordered.Count; i++)
        {
            var (t, user, item) = ordered[i];
            events[i] = new Interaction($"b{i}", $"u{user}", $"p{item}", InteractionType.Purchase, null, t, InteractionContext.Empty, Consent.PersonalizationOnly);
        }
        return events;
    }
}
