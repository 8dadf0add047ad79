using System.Globalization;

namespace RecoFlow.Recommendations.Events;

/// <summary>
/// Loads the MovieLens "latest-small" files: <c>movies.csv</c> (movieId,title,genres with genres pipe-separated;
/// "(no genres listed)" becomes no category) and <c>ratings.csv</c> (userId,movieId,rating,timestamp in Unix seconds)
/// as <see cref="InteractionType.Rating"/> events in file order. Ratings carry personalisation consent (the data set
/// was collected for research with the users' agreement) and an empty context.
/// </summary>
public static class MovieLensLoader
{
    public static ItemCatalog LoadMovies(string moviesCsvPath)
    {
        var catalog = new ItemCatalog();
        using var reader = new StreamReader(moviesCsvPath);
        string? header = reader.ReadLine();
        if (header is null || !header.StartsWith("movieId", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{moviesCsvPath}: unexpected header");
        }

        string? line;
        int lineNo = 1;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            int firstComma = line.IndexOf(',', StringComparison.Ordinal);
            int lastComma = line.LastIndexOf(',');
            if (firstComma <= 0 || lastComma <= firstComma)
            {
                throw new InvalidDataException($"{moviesCsvPath}:{lineNo}: expected movieId,title,genres");
            }

            string id = line[..firstComma];
            string title = line[(firstComma + 1)..lastComma];
            if (title.Length >= 2 && title[0] == '"' && title[^1] == '"')
            {
                title = title[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
            }

            string genres = line[(lastComma + 1)..];
            string[] cats = genres == "(no genres listed)" || genres.Length == 0 ? [] : genres.Split('|');
            catalog.Add(new CatalogItem(id, title, cats));
        }

        return catalog;
    }

    public static List<Interaction> LoadRatings(string ratingsCsvPath)
    {
        var events = new List<Interaction>(100_100);
        using var reader = new StreamReader(ratingsCsvPath);
        string? header = reader.ReadLine();
        if (header is null || !header.StartsWith("userId", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{ratingsCsvPath}: unexpected header");
        }

        string? line;
        int lineNo = 1;
        var ctx = InteractionContext.Empty;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            string[] f = line.Split(',');
            if (f.Length != 4)
            {
                throw new InvalidDataException($"{ratingsCsvPath}:{lineNo}: expected 4 fields");
            }

            double rating = double.Parse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture);
            long seconds = long.Parse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture);
            events.Add(new Interaction(
                "ml-" + (lineNo - 1).ToString(CultureInfo.InvariantCulture),
                f[0],
                f[1],
                InteractionType.Rating,
                rating,
                seconds * 1000,
                ctx,
                Consent.Granted));
        }

        return events;
    }
}
