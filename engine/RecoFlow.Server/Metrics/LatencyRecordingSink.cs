using RecoFlow.Api.Connectors;

namespace RecoFlow.Server.Metrics;

/// <summary>
/// A sink that measures end-to-end latency: for each record, wall clock now minus the event time it stands for
/// (for a window result, the window's end: the Yahoo Streaming Benchmark's definition), reported to an
/// <see cref="ILatencyRecorder"/>. Wrap it beside (or around) a job's real sink.
/// </summary>
public sealed class LatencyRecordingSink<T>(ILatencyRecorder recorder, Func<T, long> eventTimeMs, ISink<T>? inner = null, TimeProvider? time = null) : ISink<T>
{
    public ISinkWriter<T> CreateWriter(SinkContext context) => new Writer(recorder, eventTimeMs, inner?.CreateWriter(context), time ?? TimeProvider.System);

    public string Describe() => inner is null ? "latency probe" : $"{inner.Describe()} (with latency probe)";

    private sealed class Writer(ILatencyRecorder recorder, Func<T, long> eventTimeMs, ISinkWriter<T>? inner, TimeProvider time) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp)
        {
            inner?.Write(value, timestamp);
            recorder.Record(TimeSpan.FromMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds() - eventTimeMs(value)));
        }

        public void Flush(bool endOfInput) => inner?.Flush(endOfInput);
        public void Dispose() => inner?.Dispose();
    }
}
