namespace RecoFlow.Recommendations.Events;

/// <summary>
/// Item catalogue with dense category ids. Category names are interned in first-seen order, so
/// <see cref="CategoryIds(string)"/> returns small integers usable in arrays.
/// </summary>
public sealed class ItemCatalog
{
    private readonly Dictionary<string, CatalogItem> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _categoryIndex = new(StringComparer.Ordinal);
    private readonly List<string> _categoryNames = [];
    private readonly Dictionary<string, int[]> _itemCategoryIds = new(StringComparer.Ordinal);

    public int Count => _items.Count;

    public IReadOnlyList<string> CategoryNames => _categoryNames;

    public IEnumerable<CatalogItem> Items => _items.Values;

    public void Add(CatalogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _items[item.Id] = item;
        var ids = new int[item.Categories.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            string c = item.Categories[i];
            if (!_categoryIndex.TryGetValue(c, out int id))
            {
                id = _categoryNames.Count;
                _categoryIndex.Add(c, id);
                _categoryNames.Add(c);
            }

            ids[i] = id;
        }

        Array.Sort(ids);
        _itemCategoryIds[item.Id] = ids;
    }

    public bool TryGet(string id, out CatalogItem? item) => _items.TryGetValue(id, out item);

    /// <summary>Sorted dense category ids of an item; empty for unknown items.</summary>
    public int[] CategoryIds(string itemId) => _itemCategoryIds.TryGetValue(itemId, out int[]? ids) ? ids : [];
}
