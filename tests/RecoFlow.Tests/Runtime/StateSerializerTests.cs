using RecoFlow.Api.Windows;
using RecoFlow.Runtime.State;

namespace RecoFlow.Tests.Runtime;

public sealed class StateSerializerTests
{
    [Fact]
    public void Window_keyed_dictionaries_round_trip()
    {
        var value = new List<KeyValuePair<string, Dictionary<TimeWindow, long>>> { new("a", new() { [new TimeWindow(0, 10)] = 3 }) };
        var back = StateSerializer.Deserialize<List<KeyValuePair<string, Dictionary<TimeWindow, long>>>>(StateSerializer.Serialize(value));
        Assert.Equal(3, back[0].Value[new TimeWindow(0, 10)]);
    }
}
