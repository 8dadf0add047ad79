using Confluent.Kafka;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>Produces captured events to Kafka (acks=all, keyed by pseudonymous user id so a user's events stay in order).</summary>
public sealed class KafkaEventPublisher : IEventPublisher, IDisposable
{
    private readonly IProducer<string, byte[]> _producer;

    public KafkaEventPublisher(string bootstrapServers)
    {
        var config = KafkaClientDefaults.Producer(bootstrapServers);
        config.EnableIdempotence = true;
        _producer = new ProducerBuilder<string, byte[]>(config).Build();
    }

    public async Task PublishAsync(string topic, IReadOnlyList<CapturedEvent> events, CancellationToken cancellationToken)
    {
        var sends = new Task[events.Count];
        for (var i = 0; i < events.Count; i++)
            sends[i] = _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = events[i].Key, Value = events[i].Value }, cancellationToken);
        await Task.WhenAll(sends);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
