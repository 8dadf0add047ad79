using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RecoFlow.Jobs.Ysb;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Stream;
using Streamiz.Kafka.Net.Table;

namespace RecoFlow.Bench;

/// <summary>
/// YSB as a Streamiz.Kafka.Net (Kafka Streams) topology, run through its in-process <see cref="TopologyTestDriver"/>
/// (it does not need a broker). Events enter as compact binary (ad id, event type, event time; Kafka record timestamp =
/// event time): views of known ads are re-keyed by campaign (a repartition through an in-memory topic), grouped,
/// counted in 10 s tumbling windows with 5 s grace in an in-memory window store. Returns the set of windows.
/// </summary>
internal static class StreamizYsb
{
    // Streamiz keeps the logger factory in a static; one for the process, never disposed.
    private static readonly ILoggerFactory Loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));

    public static HashSet<(string Campaign, long WindowStart)> CountWindows(IReadOnlyList<YsbEvent> events, IReadOnlyDictionary<string, string> campaigns)
    {
        var config = new StreamConfig<StringSerDes, StringSerDes>
        {
            ApplicationId = "ysb-streamiz",
            Logger = Loggers,
            StateDir = Path.Combine(Path.GetTempPath(), "recoflow-bench-streamiz"),
        };
        var windows = new HashSet<(string, long)>();
        var builder = new StreamBuilder();
        builder.Stream<string, YsbEvent, StringSerDes, EventSerDes>("events")
            .Filter((_, e, _) => e.EventType == "view" && campaigns.ContainsKey(e.AdId))
            .Map((_, e, _) => KeyValuePair.Create(campaigns[e.AdId], 1L))
            .GroupByKey<StringSerDes, Int64SerDes>()
            .WindowedBy(TumblingWindowOptions.Of(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)))
            .Count(InMemoryWindows.As<string, long>("ysb-counts"))
            .ToStream()
            .Foreach((k, _, _) => windows.Add((k.Key, k.Window.StartMs)));
        using (var driver = new TopologyTestDriver(builder.Build(), config))
        {
            var input = driver.CreateInputTopic<string, YsbEvent, StringSerDes, EventSerDes>("events");
            foreach (var e in events) input.PipeInput(e.UserId, e, DateTimeOffset.FromUnixTimeMilliseconds(e.EventTime).UtcDateTime);
        }
        return windows;
    }

    /// <summary>Ad id (UTF-8, length-prefixed), event type index, event time.</summary>
    private sealed class EventSerDes : AbstractSerDes<YsbEvent>
    {
        public override byte[] Serialize(YsbEvent data, SerializationContext context)
        {
            var ad = Encoding.UTF8.GetByteCount(data.AdId);
            var bytes = new byte[2 + ad + 1 + 8];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)ad);
            Encoding.UTF8.GetBytes(data.AdId, bytes.AsSpan(2));
            bytes[2 + ad] = (byte)Array.IndexOf(YsbData.EventTypes, data.EventType);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(3 + ad), data.EventTime);
            return bytes;
        }

        public override YsbEvent Deserialize(byte[] data, SerializationContext context)
        {
            var ad = BinaryPrimitives.ReadUInt16LittleEndian(data);
            var type = data[2 + ad];
            return new YsbEvent("", "", Encoding.UTF8.GetString(data, 2, ad), "", type < YsbData.EventTypes.Length ? YsbData.EventTypes[type] : "", BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(3 + ad)), "");
        }
    }
}
