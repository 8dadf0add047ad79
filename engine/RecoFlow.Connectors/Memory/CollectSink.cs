using System.Collections.Concurrent;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Memory;

/// <summary>Collects every record in memory, from all subtasks (for tests and small jobs). Thread-safe.</summary>
public sealed class CollectSink<T> : ISink<T>
{
    private readonly ConcurrentQueue<(T Value, long Timestamp)> _items = new();

    public IReadOnlyList<T> Items => _items.Select(i => i.Value).ToList();
    public IReadOnlyList<(T Value, long Timestamp)> ItemsWithTimestamps => _items.ToList();
    public int Count => _items.Count;

    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(_items);
    public string Describe() => $"in-memory collection of {typeof(T).Name}";

    private sealed class Writer(ConcurrentQueue<(T, long)> items) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp) => items.Enqueue((value, timestamp));
        public void Flush(bool endOfInput) { }
        public void Dispose() { }
    }
}
