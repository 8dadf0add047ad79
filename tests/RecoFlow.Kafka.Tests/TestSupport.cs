using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Kafka.Tests;

internal static class TestPorts
{
    /// <summary>A base port such that base..base+count-1 are free right now (below the Linux ephemeral
    /// range, so the mock brokers' random ports do not collide with it).</summary>
    public static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(15000, 30000);
            if (Enumerable.Range(basePort, count).All(IsFree))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free ports found.");
    }

    public static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}

internal static class KafkaRoundTrip
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Produces <paramref name="perPartition"/> messages to each partition; returns the values
    /// per partition in production order. Fails on any delivery error.</summary>
    public static List<string>[] Produce(string bootstrap, string topic, int partitions, int perPartition)
    {
        var expected = Enumerable.Range(0, partitions).Select(_ => new List<string>()).ToArray();
        var errors = new List<string>();
        using var producer = new ProducerBuilder<string, string>(KafkaClientDefaults.Producer(bootstrap)).Build();
        for (var seq = 0; seq < perPartition; seq++)
        {
            for (var partition = 0; partition < partitions; partition++)
            {
                var p = partition; // captured per message by the delivery handler
                var value = $"{topic}/p{p}/m{seq}";
                expected[p].Add(value);
                producer.Produce(new TopicPartition(topic, p), new Message<string, string> { Key = $"k{seq}", Value = value },
                    report =>
                    {
                        if (report.Error.IsError || report.Partition.Value != p)
                        {
                            lock (errors)
                            {
                                errors.Add($"{value}: {report.Error.Reason} (partition {report.Partition.Value})");
                            }
                        }
                    });
            }
        }

        var remaining = producer.Flush(Timeout);
        Assert.Equal(0, remaining);
        Assert.Empty(errors);
        return expected;
    }

    /// <summary>Reads every partition from the beginning (no group assignment) until
    /// <paramref name="expectedTotal"/> messages arrived or the timeout passes.</summary>
    public static List<string>[] ConsumeAll(string bootstrap, string topic, int partitions, int expectedTotal)
    {
        var received = Enumerable.Range(0, partitions).Select(_ => new List<string>()).ToArray();
        using var consumer = new ConsumerBuilder<string, string>(
            KafkaClientDefaults.Consumer(bootstrap, "verify-" + Guid.NewGuid().ToString("N"))).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var clock = Stopwatch.StartNew();
        var total = 0;
        while (total < expectedTotal && clock.Elapsed < Timeout)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            received[result.Partition.Value].Add(result.Message.Value);
            total++;
        }

        consumer.Close();
        return received;
    }
}
