namespace RecoFlow.Recommendations.Events;

/// <summary>An item of the catalogue: id, title, category labels and optional numeric features.</summary>
public sealed record CatalogItem(string Id, string Title, IReadOnlyList<string> Categories, IReadOnlyList<float>? Features = null);
