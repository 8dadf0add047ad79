using RecoFlow.Cli;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// The log <c>recoflow evaluate</c> replays, read in one of its formats. Lines that are not events of the log are
/// skipped and counted with the first one's reason (what the job would send to its dead letters, or an invoice line
/// that is not a purchase); an input of which no line is an event, or whose header is not the format's, is refused
/// with a <see cref="UsageException"/> that names the problem, as is an events log in which no event carries
/// personalisation consent (the job would learn nothing personal from it).
/// </summary>
/// <param name="Events">The events, in file order.</param>
/// <param name="Catalog">The item catalogue (MovieLens movies.csv), if there is one.</param>
/// <param name="Skipped">Lines that are not events of the log.</param>
/// <param name="FirstSkipped">Why the first of them is not, with its line number (null if none was skipped or the format gives no reason).</param>
public sealed record EvaluationInput(List<Interaction> Events, ItemCatalog? Catalog, int Skipped, string? FirstSkipped)
{
    /// <summary>Events without personalisation consent: the job learns nothing personal from them (docs/events.md).</summary>
    public int WithoutConsent { get; init; }

    public static EvaluationInput Load(string path, string format, string? catalogPath)
    {
        if (catalogPath is null && format == "movielens")
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "movies.csv");
            if (File.Exists(beside)) catalogPath = beside;
        }
        if (catalogPath is not null && !File.Exists(catalogPath)) throw new UsageException($"catalog not found: {catalogPath}");
        try
        {
            var catalog = catalogPath is null ? null : MovieLensLoader.LoadMovies(catalogPath);
            return format switch
            {
                "movielens" => new EvaluationInput(MovieLensLoader.LoadRatings(path), catalog, 0, null),
                "events" => LoadEvents(path, catalog),
                "online-retail" => LoadOnlineRetail(path, catalog),
                _ => throw new UsageException("--format must be events, movielens or online-retail"),
            };
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--format {format}: {e.Message}");
        }
    }

    /// <summary>JSON Lines events (docs/events.md), parsed as the job parses them; unknown fields are allowed.</summary>
    private static EvaluationInput LoadEvents(string path, ItemCatalog? catalog)
    {
        var parser = new InteractionParser(allowUnknownFields: true);
        var events = new List<Interaction>();
        int lineNumber = 0, skipped = 0;
        string? first = null;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var result = parser.Parse(line);
            if (result.Event is { } e) { events.Add(e); continue; }
            skipped++;
            first ??= $"line {lineNumber}: {result.Error}";
        }
        if (events.Count == 0)
            throw new UsageException($"no event in {path}{(first is null ? "" : $" ({first})")}: --format events reads JSON Lines events as docs/events.md describes them");
        int withoutConsent = events.Count(e => !e.Consent.Personalization);
        if (withoutConsent == events.Count)
            throw new UsageException($"no event in {path} carries personalisation consent (\"consent\":{{\"personalization\":true}}), and the job uses none without it for a user's lists (docs/events.md): every list would be the popular items");
        return new EvaluationInput(events, catalog, skipped, first) { WithoutConsent = withoutConsent };
    }

    /// <summary>Invoice lines (<see cref="OnlineRetailLoader"/>): cancellations, lines without a customer, non-positive quantities and non-product codes are skipped.</summary>
    private static EvaluationInput LoadOnlineRetail(string path, ItemCatalog? catalog)
    {
        var (events, skipped) = OnlineRetailLoader.Load(path);
        if (events.Count == 0)
            throw new UsageException($"no purchase in {path}: --format online-retail reads invoice lines of products bought by a known customer (columns InvoiceNo, StockCode, Quantity, InvoiceDate, CustomerID)");
        return new EvaluationInput(events, catalog, skipped,
            skipped > 0 ? "invoice lines that are not a purchase of a product by a known customer (cancellations, no customer, quantity not above zero, postage and other non-product codes)" : null);
    }
}
