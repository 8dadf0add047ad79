namespace RecoFlow.Recommendations.Edge.Shop;

/// <summary>The items the demo shop page shows: JSON <c>{"categories":[...],"items":[{"id","title","category"}]}</c>.</summary>
public interface IShopCatalog
{
    string Json { get; }
}
