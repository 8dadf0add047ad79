using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Delivery None or AtLeastOnce (Flink: KafkaWriter with DeliveryGuarantee.NONE / AT_LEAST_ONCE, which flushes on
/// every checkpoint in flush()).
/// </summary>
internal sealed class KafkaWriter<T>(KafkaSink<T> sink, SinkContext context) : KafkaWriterBase<T>(sink, context, null), ISinkWriter<T>
{
    private readonly bool _atLeastOnce = sink.Options.Delivery == KafkaDeliveryGuarantee.AtLeastOnce;

    public void Write(T value, long timestamp)
    {
        if (_atLeastOnce) ThrowIfDeliveryFailed();
        var message = ToMessage(value, timestamp, out var key);
        Send(message, key, value, reportDelivery: true);
    }

    public void Flush(bool endOfInput)
    {
        if (_atLeastOnce)
        {
            FlushAll();
            ThrowIfDeliveryFailed();
        }
        else if (endOfInput)
        {
            var remaining = Producer.Flush(Options.RequestTimeout);
            if (remaining > 0) Log($"{Name}: {remaining} message(s) unacknowledged at end of input (delivery None)");
        }
    }

    public override void Dispose()
    {
        // None: give queued messages a moment to leave; AtLeastOnce has flushed at every checkpoint already.
        try
        {
            Producer.Flush(TimeSpan.FromSeconds(5));
        }
        catch (KafkaException e)
        {
            Log($"{Name}: flush on close failed: {e.Message}");
        }
        base.Dispose();
    }
}
