using RecoFlow.Recommendations.Streaming.Models;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Recommendations;

public sealed class ItemModelStateTests
{
    [Fact]
    public void Neighbours_are_found_after_adds_and_replacements_and_after_a_restore()
    {
        var item = new ItemModelState();
        for (int j = 0; j < 50; j++) item.AddNeighbour($"i{j}", j);
        item.ReplaceNeighbour(7, "new", 0.5);

        Assert.Equal(7, item.IndexOfNeighbour("new"));
        Assert.Equal(-1, item.IndexOfNeighbour("i7"));
        Assert.Equal(49, item.IndexOfNeighbour("i49"));
        Assert.Equal(-1, item.IndexOfNeighbour("i50"));

        var restored = StateSerializer.Deserialize<ItemModelState>(StateSerializer.Serialize(item));
        Assert.Equal(item.Neighbours, restored.Neighbours);
        Assert.Equal(7, restored.IndexOfNeighbour("new"));
        restored.AddNeighbour("last", 1);
        Assert.Equal(50, restored.IndexOfNeighbour("last"));
    }

    [Fact]
    public void The_hash_index_is_not_part_of_the_state()
    {
        var item = new ItemModelState();
        item.Neighbours.AddRange(["a", "b"]);
        item.NeighbourLogWeights.AddRange([1, 2]);
        byte[] before = StateSerializer.Serialize(item);

        Assert.Equal(1, item.IndexOfNeighbour("b"));
        Assert.Equal(before, StateSerializer.Serialize(item));
    }

    [Fact]
    public void Lists_written_directly_are_indexed_again()
    {
        var item = new ItemModelState();
        item.AddNeighbour("a", 1);
        Assert.Equal(0, item.IndexOfNeighbour("a"));
        item.Neighbours.Add("b");
        item.NeighbourLogWeights.Add(2);
        Assert.Equal(1, item.IndexOfNeighbour("b"));
    }
}
