using System.Globalization;
using System.Text;
using Confluent.Kafka;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Where a source reader puts records its deserializer throws on: the job's dead letters and, unless
/// <see cref="KafkaSourceOptions.DeadLetterTopic"/> is null, a dead-letter topic. Flink's KafkaSource has no
/// equivalent (a failing KafkaRecordDeserializationSchema fails the job); the closest is a Kafka Connect
/// errors.deadletterqueue. The producer is created on the first dead letter and is asynchronous;
/// <see cref="FlushPending"/> before a snapshot makes dead letters at least once.
/// </summary>
internal sealed class KafkaDeadLetterProducer(KafkaSourceOptions options, SourceContext context, Action<string> log, ThrottledLog throttled) : IDisposable
{
    private readonly IDeadLetterOutput _deadLetters = context.DeadLetters;
    private IProducer<byte[], byte[]>? _producer;
    private int _pending;
    private long _count;

    /// <summary>Dead-lettered records so far.</summary>
    public long Count => _count;

    public void Send(ConsumeResult<byte[], byte[]> r, Exception error)
    {
        _count++;
        var where = $"{r.Topic}-{r.Partition.Value}@{r.Offset.Value}";
        var text = r.Message.Value is { } v ? Encoding.UTF8.GetString(v) : null;
        var ts = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Api.Time.Watermark.NoTimestamp : r.Message.Timestamp.UnixTimestampMs;
        _deadLetters.Report($"{where}: {error.GetType().Name}: {error.Message}", text, ts);
        if (options.DeadLetterTopic is not { } template) return;
        var dlqTopic = template.Replace("{topic}", r.Topic, StringComparison.Ordinal);
        var message = new Message<byte[], byte[]>
        {
            Key = r.Message.Key,
            Value = r.Message.Value,
            Timestamp = r.Message.Timestamp.Type == TimestampType.NotAvailable ? Timestamp.Default : new Timestamp(r.Message.Timestamp.UnixTimestampMs, TimestampType.CreateTime),
            Headers = new Headers
            {
                { "error", Encoding.UTF8.GetBytes($"{error.GetType().Name}: {error.Message}") },
                { "topic", Encoding.UTF8.GetBytes(r.Topic) },
                { "partition", Encoding.UTF8.GetBytes(r.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
                { "offset", Encoding.UTF8.GetBytes(r.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
            },
        };
        try
        {
            Interlocked.Increment(ref _pending);
            Producer().Produce(dlqTopic, message, report =>
            {
                Interlocked.Decrement(ref _pending);
                if (report.Error.IsError) log($"dead letter of {where} not delivered to {dlqTopic}: {report.Error.Reason}");
            });
        }
        catch (KafkaException e)
        {
            Interlocked.Decrement(ref _pending);
            log($"dead letter of {where} not sent to {dlqTopic}: {e.Message}");
        }
    }

    /// <summary>Waits (up to 30 s) for dead letters still in flight, so those before a snapshot reach their topic before its checkpoint can complete.</summary>
    public void FlushPending()
    {
        if (_producer is not null && Volatile.Read(ref _pending) > 0) _producer.Flush(TimeSpan.FromSeconds(30));
    }

    private IProducer<byte[], byte[]> Producer()
    {
        if (_producer is not null) return _producer;
        var config = KafkaClientDefaults.Producer(options.BootstrapServers);
        config.ClientId = $"recoflow-source-dlq-{context.SubtaskIndex}";
        if (options.ProducerProperties is { } extra)
            foreach (var (k, v) in extra) config.Set(k, v);
        return _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => throttled.Write($"dead-letter producer error: {e.Code}: {e.Reason}"))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public void Dispose()
    {
        try
        {
            _producer?.Flush(TimeSpan.FromSeconds(10));
        }
        catch (KafkaException e)
        {
            log($"dead-letter producer flush failed: {e.Message}");
        }
        _producer?.Dispose();
    }
}
