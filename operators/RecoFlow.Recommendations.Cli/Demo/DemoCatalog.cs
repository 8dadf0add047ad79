using System.Globalization;
using System.Text;
using System.Text.Json;
using RecoFlow.Recommendations.Edge.Shop;

namespace RecoFlow.Recommendations.Cli.Demo;

/// <summary>One item of the synthetic shop.</summary>
public sealed record ShopItem(string Id, string Title, string Category);

/// <summary>
/// The demo's synthetic catalogue: items in categories with made-up titles, generated deterministically (the same on
/// every run and machine), so the demo needs no data set.
/// </summary>
public sealed class DemoCatalog : IShopCatalog
{
    public static readonly string[] CategoryNames =
    [
        "Books", "Music", "Games", "Garden", "Kitchen", "Outdoor", "Toys", "Fashion", "Electronics", "Sports", "Beauty", "Pets",
    ];

    private static readonly string[] Adjectives =
    [
        "Classic", "Compact", "Deluxe", "Everyday", "Golden", "Handmade", "Lightweight", "Modern", "Quiet", "Rustic",
        "Smart", "Sturdy", "Tiny", "Vintage", "Wild", "Bright", "Cosy", "Electric", "Northern", "Urban",
    ];

    private static readonly Dictionary<string, string[]> Nouns = new(StringComparer.Ordinal)
    {
        ["Books"] = ["Novel", "Atlas", "Cookbook", "Memoir", "Anthology", "Thriller"],
        ["Music"] = ["Vinyl", "Album", "Songbook", "Ukulele", "Drum Kit", "Harmonica"],
        ["Games"] = ["Board Game", "Puzzle", "Card Game", "Console Game", "Dice Set", "Strategy Game"],
        ["Garden"] = ["Trowel", "Planter", "Hose", "Seed Kit", "Bird House", "Rake"],
        ["Kitchen"] = ["Kettle", "Skillet", "Knife Set", "Teapot", "Blender", "Mixing Bowl"],
        ["Outdoor"] = ["Tent", "Lantern", "Backpack", "Hammock", "Sleeping Bag", "Compass"],
        ["Toys"] = ["Robot", "Kite", "Plush Bear", "Train Set", "Yo-Yo", "Building Blocks"],
        ["Fashion"] = ["Jacket", "Scarf", "Sneakers", "Hat", "Wallet", "Sunglasses"],
        ["Electronics"] = ["Headphones", "Speaker", "Charger", "Keyboard", "Camera", "Smartwatch"],
        ["Sports"] = ["Football", "Yoga Mat", "Racket", "Bicycle Helmet", "Dumbbells", "Running Shoes"],
        ["Beauty"] = ["Face Cream", "Perfume", "Lip Balm", "Hair Brush", "Soap Bar", "Nail Kit"],
        ["Pets"] = ["Dog Bed", "Cat Tree", "Leash", "Aquarium", "Chew Toy", "Bird Feeder"],
    };

    public DemoCatalog(int items = 500)
    {
        if (items < CategoryNames.Length) throw new ArgumentOutOfRangeException(nameof(items), $"at least {CategoryNames.Length} items");
        var list = new List<ShopItem>(items);
        for (int i = 0; i < items; i++)
        {
            var category = CategoryNames[i % CategoryNames.Length];
            int n = i / CategoryNames.Length;
            var nouns = Nouns[category];
            var title = $"{Adjectives[(n * 7 + i) % Adjectives.Length]} {nouns[n % nouns.Length]}";
            list.Add(new ShopItem($"item-{i + 1:D4}", title, category));
        }
        Items = list;
        ById = list.ToDictionary(x => x.Id, StringComparer.Ordinal);
        ByCategory = list.GroupBy(x => x.Category).ToDictionary(g => g.Key, g => (IReadOnlyList<ShopItem>)g.ToList(), StringComparer.Ordinal);
        Json = JsonSerializer.Serialize(new
        {
            categories = CategoryNames,
            items = list.Select(x => new { id = x.Id, title = x.Title, category = x.Category }),
        });
    }

    public IReadOnlyList<ShopItem> Items { get; }
    public IReadOnlyDictionary<string, ShopItem> ById { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<ShopItem>> ByCategory { get; }

    /// <summary>The shop page's catalogue JSON.</summary>
    public string Json { get; }

    /// <summary>Writes the catalogue in MovieLens movies.csv form (movieId,title,genres), the job's catalogue format.</summary>
    public void WriteMoviesCsv(string path)
    {
        var sb = new StringBuilder("movieId,title,genres\n");
        foreach (var x in Items) sb.Append(CultureInfo.InvariantCulture, $"{x.Id},{x.Title},{x.Category}\n");
        File.WriteAllText(path, sb.ToString());
    }
}
