using System.Diagnostics;
using Confluent.Kafka;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// <see cref="ITransactionalKafkaProducer"/> over a Confluent.Kafka producer with a <c>transactional.id</c>:
/// InitTransactions and CommitTransaction retry transient errors with <see cref="KafkaRetry"/> up to
/// <see cref="KafkaSinkOptions.MaxWait"/>; produce waits while librdkafka's queue is full (backpressure); a failed
/// delivery is thrown by the next produce or flush.
/// </summary>
internal sealed class ConfluentTransactionalProducer(IProducer<byte[], byte[]> producer, string transactionalId, KafkaSinkOptions options, Action<string> log, string name)
    : ITransactionalKafkaProducer
{
    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(1);
    private Error? _failed;

    public string TransactionalId => transactionalId;

    public void InitTransactions() =>
        KafkaRetry.Run(() => { producer.InitTransactions(options.RequestTimeout); return 0; }, $"init transactions of {transactionalId}", options.MaxWait, log);

    public void BeginTransaction() => producer.BeginTransaction();

    public void Produce(string topic, KafkaRecord record, Action<long>? acknowledged = null)
    {
        ThrowIfFailed();
        var message = new Message<byte[], byte[]>
        {
            Key = record.Key!,
            Value = record.Value,
            Timestamp = record.Timestamp == KafkaRecord.NoTimestamp ? Timestamp.Default : new Timestamp(record.Timestamp, TimestampType.CreateTime),
        };
        Action<DeliveryReport<byte[], byte[]>> report = r =>
        {
            if (r.Error.IsError) Interlocked.CompareExchange(ref _failed, r.Error, null);
            else acknowledged?.Invoke(r.Offset.Value);
        };
        while (true)
        {
            try
            {
                if (record.Partition >= 0) producer.Produce(new TopicPartition(topic, new Partition(record.Partition)), message, report);
                else producer.Produce(topic, message, report);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Flush(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    public void Flush()
    {
        var clock = Stopwatch.StartNew();
        var logged = TimeSpan.Zero;
        while (true)
        {
            // Short slices: librdkafka's flush polls in 10 ms steps (see KafkaWriterBase.FlushAll).
            var remaining = producer.Flush(FlushSlice);
            if (remaining == 0) break;
            if (clock.Elapsed > options.MaxWait)
                throw new TimeoutException($"{name}: {remaining} message(s) of {transactionalId} still unacknowledged after {clock.Elapsed.TotalSeconds:F0} s");
            if (clock.Elapsed - logged < options.RequestTimeout) continue;
            logged = clock.Elapsed;
            log($"{name}: waiting for the brokers to acknowledge {remaining} message(s) of {transactionalId} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        ThrowIfFailed();
    }

    public void CommitTransaction() =>
        KafkaRetry.Run(() => { producer.CommitTransaction(options.RequestTimeout); return 0; }, $"commit transaction of {transactionalId}", options.MaxWait, log);

    public void AbortTransaction() => producer.AbortTransaction(options.RequestTimeout);

    private void ThrowIfFailed()
    {
        if (Interlocked.Exchange(ref _failed, null) is { } error) throw new KafkaException(error);
    }

    public void Dispose() => producer.Dispose();
}
