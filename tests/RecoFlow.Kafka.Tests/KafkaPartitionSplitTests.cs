using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Runtime.State;

namespace RecoFlow.Kafka.Tests;

/// <summary>The typed Kafka split and its checkpoint form (no broker).</summary>
public sealed class KafkaPartitionSplitTests
{
    public static TheoryData<KafkaPartitionSplit> Splits => new()
    {
        new KafkaPartitionSplit("t", 0),
        new KafkaPartitionSplit("events", 5, 1234),
        new KafkaPartitionSplit("events", 5, 1234, stoppingOffset: 5000),
        new KafkaPartitionSplit("my-topic.v2_x", 117, 0, stoppingOffset: 0),
        new KafkaPartitionSplit("a-1", 1, KafkaSource.UnsetPosition, stoppingOffset: long.MaxValue - 1),
        new KafkaPartitionSplit("9", int.MaxValue, long.MaxValue),
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void A_split_round_trips_through_its_stored_form(KafkaPartitionSplit split)
    {
        var stored = KafkaPartitionSplitSerializer.Serialize(split);
        Assert.Equal(split.SplitId, stored.SplitId);
        Assert.Equal(split.StartingOffset, stored.Position);
        var read = KafkaPartitionSplitSerializer.Deserialize(stored);
        Assert.Equal(split, read);
        Assert.Equal(stored, KafkaPartitionSplitSerializer.Serialize(read));
    }

    [Fact]
    public void The_stored_form_is_version_1_the_string_form_checkpoints_already_hold()
    {
        // Unchanged from before the typed split, so checkpoints of either build restore in the other.
        Assert.Equal(1, KafkaPartitionSplitSerializer.CurrentVersion);
        Assert.Equal(new SourceSplit("t-0", KafkaSource.UnsetPosition, "t"), KafkaPartitionSplitSerializer.Serialize(new KafkaPartitionSplit("t", 0)));
        Assert.Equal(new SourceSplit("t-0", 100, "t@100"), KafkaPartitionSplitSerializer.Serialize(new KafkaPartitionSplit("t", 0, 100, 100)));
        Assert.Equal("a-b-12", KafkaSource.SplitId("a-b", 12));
        Assert.Equal(KafkaSource.SplitId("a-b", 12), new KafkaPartitionSplit("a-b", 12).SplitId);
    }

    [Fact]
    public void A_split_from_a_checkpoint_written_before_the_typed_split_restores()
    {
        // The MessagePack bytes a task snapshot held for SourceSplit("events-3", 42, "events@100") written by the
        // string-based reader: [ "events-3", 42, "events@100" ].
        byte[] stored =
        [
            0x93,
            0xa8, .. "events-3"u8,
            0x2a,
            0xaa, .. "events@100"u8,
        ];
        var split = KafkaPartitionSplitSerializer.Deserialize(StateSerializer.Deserialize<SourceSplit>(stored));
        Assert.Equal(new KafkaPartitionSplit("events", 3, 42, 100), split);
        Assert.Equal(stored, StateSerializer.Serialize(KafkaPartitionSplitSerializer.Serialize(split)));
    }

    public static TheoryData<SourceSplit, KafkaPartitionSplit> OldForms => new()
    {
        { new SourceSplit("t-0", -1, "t"), new KafkaPartitionSplit("t", 0) },
        { new SourceSplit("t-0", 90, "t@95"), new KafkaPartitionSplit("t", 0, 90, 95) },
        { new SourceSplit("my-topic-12", 7, "my-topic"), new KafkaPartitionSplit("my-topic", 12, 7) },
        { new SourceSplit("my-topic-12", 7, "my-topic@7"), new KafkaPartitionSplit("my-topic", 12, 7, 7) },
        // No descriptor: the topic is the id up to its last '-'.
        { new SourceSplit("my.topic-3", 5), new KafkaPartitionSplit("my.topic", 3, 5) },
        // The version marker later versions must write; "v1:" + a version-1 descriptor is the same split.
        { new SourceSplit("t-0", 90, "v1:t@95"), new KafkaPartitionSplit("t", 0, 90, 95) },
        // A topic named like a marker, without ':', is a topic.
        { new SourceSplit("v2-1", 3, "v2@4"), new KafkaPartitionSplit("v2", 1, 3, 4) },
    };

    [Theory]
    [MemberData(nameof(OldForms))]
    public void The_string_forms_of_the_current_checkpoints_are_read(SourceSplit stored, KafkaPartitionSplit expected) =>
        Assert.Equal(expected, KafkaPartitionSplitSerializer.Deserialize(stored));

    public static TheoryData<SourceSplit, string> Malformed => new()
    {
        { new SourceSplit("t", 0, "t"), "not \"topic-partition\"" },
        { new SourceSplit("t-x", 0, "t"), "not \"topic-partition\"" },
        { new SourceSplit("t-+1", 0, "t"), "not \"topic-partition\"" },
        { new SourceSplit("-0", 0), "not \"topic-partition\"" },
        { new SourceSplit("", 0, "t"), "not \"topic-partition\"" },
        { new SourceSplit("t-99999999999", 0, "t"), "not \"topic-partition\"" },
        { new SourceSplit("t-0", 0, "t@"), "stopping offset" },
        { new SourceSplit("t-0", 0, "t@-5"), "stopping offset" },
        { new SourceSplit("t-0", 0, "t@end"), "stopping offset" },
        { new SourceSplit("t-0", 0, "@5"), "names no topic" },
        { new SourceSplit("t-0", 0, ""), "names no topic" },
        { new SourceSplit("t-0", 0, "u"), "does not name topic \"u\"" },
        { new SourceSplit("t--1", 0, "t"), "does not name topic \"t\"" },
        { new SourceSplit("t-0", 0, "v2:t@5"), "version 2" },
        { new SourceSplit("t-0", 0, "x:t"), "version marker" },
        { new SourceSplit("t-0", 0, "v:t"), "version marker" },
        { new SourceSplit("t-0", 0, "v0:t"), "version marker" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_stored_splits_fail_with_a_message_naming_the_split_and_the_reason(SourceSplit stored, string reason)
    {
        var e = Assert.Throws<FormatException>(() => KafkaPartitionSplitSerializer.Deserialize(stored));
        Assert.Contains($"id \"{stored.SplitId}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_split_cannot_be_built_with_values_its_stored_form_cannot_hold()
    {
        Assert.Throws<ArgumentException>(() => new KafkaPartitionSplit("", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KafkaPartitionSplit("t", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KafkaPartitionSplit("t", 0, 0, -1));
        Assert.Throws<ArgumentNullException>(() => KafkaPartitionSplitSerializer.Serialize(null!));
        Assert.Throws<ArgumentNullException>(() => KafkaPartitionSplitSerializer.Deserialize(null!));
    }

    [Fact]
    public void The_reader_reads_its_splits_through_the_serializer()
    {
        // No broker at this address: AddSplits reads the splits before it asks Kafka for anything.
        var source = KafkaSource.Strings(new KafkaSourceOptions { BootstrapServers = "127.0.0.1:1", Topics = ["t"], Log = _ => { } });
        using var reader = source.CreateReader(new SourceContext(0, 1, new Dictionary<string, string>(), new NoDeadLetters()));
        var e = Assert.Throws<FormatException>(() => reader.AddSplits([new SourceSplit("t-0", 5, "t@soon")]));
        Assert.Contains("stopping offset", e.Message, StringComparison.Ordinal);
    }

    private sealed class NoDeadLetters : IDeadLetterOutput
    {
        public void Report(string reason, object? record, long timestamp) => throw new InvalidOperationException(reason);
    }
}
