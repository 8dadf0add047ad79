using System.Text;
using Confluent.Kafka;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// The producing path both Kafka writers share (Flink: KafkaWriter's record path with its
/// KafkaRecordSerializationSchema and the FlinkKafkaInternalProducer it wraps): building a configured producer,
/// record to message, produce with backpressure, delivery errors, and flushing.
/// </summary>
internal abstract class KafkaWriterBase<T> : IDisposable
{
    protected readonly KafkaSink<T> Sink;
    protected readonly KafkaSinkOptions Options;
    protected readonly Action<string> Log;
    protected readonly ThrottledLog Throttled;
    protected readonly string Name;
    private readonly IProducer<byte[], byte[]>? _producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly int _partitions;
    private Error? _asyncError;
    private long _failed;

    /// <param name="buildProducer">False: the writer builds its own producers (<see cref="BuildProducer"/>) and has no <see cref="Producer"/>.</param>
    protected KafkaWriterBase(KafkaSink<T> sink, SinkContext context, Action<ProducerConfig>? configure, bool buildProducer = true)
    {
        Sink = sink;
        Options = sink.Options;
        Log = Options.Log ?? KafkaLog.Default;
        Throttled = new ThrottledLog(Log, TimeSpan.FromSeconds(10));
        Name = $"Kafka sink {Options.Topic} subtask {context.SubtaskIndex}/{context.Parallelism}";
        _onDelivery = OnDelivery;
        if (buildProducer) _producer = BuildProducer(context, configure);
        if (sink.Partitioner is not null) _partitions = PartitionCount();
    }

    /// <summary>The writer's producer (built by the constructor unless told otherwise).</summary>
    protected IProducer<byte[], byte[]> Producer => _producer ?? throw new InvalidOperationException($"{Name}: this writer has no producer of its own");

    /// <summary>The partition the sink's partitioner chooses for <paramref name="value"/>; -1 without a partitioner (the producer's key hash).</summary>
    protected int PartitionOf(T value, byte[]? key) => Sink.Partitioner is { } partitioner ? partitioner(value, key, _partitions) : -1;

    protected IProducer<byte[], byte[]> BuildProducer(SinkContext context, Action<ProducerConfig>? configure)
    {
        var config = KafkaClientDefaults.Producer(Options.BootstrapServers);
        config.ClientId = $"recoflow-sink-{context.SubtaskIndex}";
        if (Options.Delivery == KafkaDeliveryGuarantee.None) config.Acks = Acks.Leader;
        // librdkafka keeps retrying a message while the brokers are away (a restart, a re-created dev broker) for as
        // long as the writer is willing to wait, instead of failing it after 30 s. (Transactional producers need
        // message.timeout.ms <= transaction.timeout.ms, so they keep the default.)
        if (Options.Delivery != KafkaDeliveryGuarantee.ExactlyOnce)
            config.MessageTimeoutMs = (int)Math.Min(int.MaxValue, Options.MaxWait.TotalMilliseconds);
        configure?.Invoke(config);
        if (Options.ProducerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) Log($"{Name}: fatal producer error: {e.Code}: {e.Reason}");
                else Throttled.Write($"{Name}: producer error (librdkafka retries): {e.Code}: {e.Reason}", e.Code.ToString());
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning) Throttled.Write($"{Name}: librdkafka {m.Level}: {m.Facility}: {m.Message}", m.Facility);
            })
            .Build();
    }

    private int PartitionCount()
    {
        using var admin = new AdminClientBuilder(KafkaClientDefaults.Admin(Options.BootstrapServers)).SetLogHandler((_, _) => { }).Build();
        return KafkaRetry.Run(() =>
        {
            var t = admin.GetMetadata(Options.Topic, Options.RequestTimeout).Topics.Find(x => x.Topic == Options.Topic);
            if (t is null || t.Error.Code != ErrorCode.NoError || t.Partitions.Count == 0)
                throw new KafkaRetryableStateException($"topic {Options.Topic} has no partitions in metadata");
            return t.Partitions.Count;
        }, $"partition count of {Options.Topic}", Options.MaxWait, Log);
    }

    /// <summary>Records whose delivery failed (None: logged only).</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (!report.Error.IsError) return;
        Interlocked.Increment(ref _failed);
        Interlocked.CompareExchange(ref _asyncError, report.Error, null);
        Throttled.Write($"{Name}: delivery failed: {report.Error.Code}: {report.Error.Reason}", report.Error.Code.ToString());
    }

    protected Message<byte[], byte[]> ToMessage(T value, long timestamp, out byte[]? key)
    {
        key = Sink.KeySelector?.Invoke(value) is { } k ? Encoding.UTF8.GetBytes(k) : null;
        return new Message<byte[], byte[]>
        {
            Key = key!,
            Value = Sink.Serializer(value),
            Timestamp = Options.WriteTimestamps && timestamp != Api.Time.Watermark.NoTimestamp ? new Timestamp(timestamp, TimestampType.CreateTime) : Timestamp.Default,
        };
    }

    /// <summary>Produces one message, waiting while librdkafka's local queue is full (backpressure).</summary>
    protected void Send(Message<byte[], byte[]> message, byte[]? key, T value, bool reportDelivery) => Send(Producer, message, key, value, reportDelivery);

    /// <summary>Produces one message with <paramref name="producer"/>, waiting while its local queue is full (backpressure).</summary>
    protected void Send(IProducer<byte[], byte[]> producer, Message<byte[], byte[]> message, byte[]? key, T value, bool reportDelivery)
    {
        while (true)
        {
            try
            {
                if (Sink.Partitioner is { } partitioner)
                {
                    var tp = new TopicPartition(Options.Topic, new Partition(partitioner(value, key, _partitions)));
                    if (reportDelivery) producer.Produce(tp, message, _onDelivery);
                    else producer.Produce(tp, message);
                }
                else if (reportDelivery) producer.Produce(Options.Topic, message, _onDelivery);
                else producer.Produce(Options.Topic, message);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Flush(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>Throws if a delivery failed since the last check (AtLeastOnce/ExactlyOnce: the job restarts from its last checkpoint).</summary>
    protected void ThrowIfDeliveryFailed()
    {
        if (Interlocked.Exchange(ref _asyncError, null) is { } error)
            throw new KafkaException(error);
    }

    /// <summary>Waits until every produced message is acknowledged (or failed), logging while it waits.</summary>
    protected void FlushAll() => FlushAll(Producer);

    /// <summary>Waits until every message produced with <paramref name="producer"/> is acknowledged (or failed), logging while it waits.</summary>
    protected void FlushAll(IProducer<byte[], byte[]> producer)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var logged = TimeSpan.Zero;
        while (true)
        {
            // Short slices: librdkafka's flush polls in 10 ms steps and Confluent.Kafka's own poll thread serves the
            // delivery reports, so one long flush returns up to 10 ms after the last acknowledgement (measured at
            // barriers: 0.3 ms or 10.3 ms). The flush blocks the task, so those milliseconds were latency.
            var remaining = producer.Flush(FlushSlice);
            if (remaining == 0) return;
            if (clock.Elapsed > Options.MaxWait)
                throw new TimeoutException($"{Name}: {remaining} message(s) still unacknowledged after {clock.Elapsed.TotalSeconds:F0} s");
            if (clock.Elapsed - logged < Options.RequestTimeout) continue;
            logged = clock.Elapsed;
            Log($"{Name}: waiting for the brokers to acknowledge {remaining} message(s) ({clock.Elapsed.TotalSeconds:F0} s)");
        }
    }

    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(1);

    public virtual void Dispose() => _producer?.Dispose();
}
