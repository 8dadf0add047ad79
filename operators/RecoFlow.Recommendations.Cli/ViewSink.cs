using RecoFlow.Api.Connectors;

namespace RecoFlow.Recommendations.Cli;

/// <summary>Hands every record to a callback of the demo's dashboard view (at-most-once: the view is not state).</summary>
internal sealed class ViewSink<T>(Action<T> add, string description) : ISink<T>
{
    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(add);
    public string Describe() => description;

    private sealed class Writer(Action<T> add) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp) => add(value);
        public void Flush(bool endOfInput) { }
        public void Dispose() { }
    }
}
