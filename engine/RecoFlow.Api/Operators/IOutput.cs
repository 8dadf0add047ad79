using RecoFlow.Api.Streams;

namespace RecoFlow.Api.Operators;

/// <summary>
/// Where an operator emits. The runtime either calls the next chained operator directly or buffers the record
/// into a channel batch. Not thread-safe: only the operator's own task thread calls it.
/// </summary>
public interface IOutput<in T>
{
    /// <summary>Emits a record with its event timestamp (<see cref="Time.Watermark.NoTimestamp"/> if it has none).</summary>
    void Collect(T value, long timestamp);

    /// <summary>Emits a record to a side output. Records for a tag nobody consumes are dropped.</summary>
    void CollectSide<TSide>(OutputTag<TSide> tag, TSide value, long timestamp);

    /// <summary>Forwards a watermark downstream.</summary>
    void EmitWatermark(long watermark);
}
