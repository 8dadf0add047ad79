using System.Collections;
using System.Reflection;
using Akka.Actor;
using Akka.Configuration;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Cluster.Serialization;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Every message that may cross the network goes through <see cref="RecoFlowMessagePackSerializer"/> and round-trips.
/// The message types are found by reflection (channel messages and records of the runtime's channel and execution
/// namespaces, the job manager's protocol), so a new message type without a wire binding fails here.
/// </summary>
public sealed class SerializerTests : IAsyncLifetime
{
    /// <summary>Types of those namespaces that are not messages (payloads inside messages, settings), or that an actor only sends to itself.</summary>
    private static readonly HashSet<string> NotRemote =
    [
        "ChannelTarget", "ChannelSource", // payloads of DeployTask
        "TaskRestore", "TaskCheckpointing", // payloads of DeployTask
        "TaskPlacementRequest", // payload of PlaceTask
        "VertexEdge", "JobResult", "JobMasterSettings", "TaskEnvironment", "RuntimeSettings", // not messages
        "PollSource", "ProcessingTimerFired", // a task to itself (ProcessingTimerFired carries a callback)
        "TaskStateWritten", "TaskStateWriteFailed", // a task to itself: its asynchronous state write ended
    ];

    private ActorSystem _system = null!;
    private IActorRef _actor = null!;

    public Task InitializeAsync()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            """).WithFallback(NodeSettings.DefaultConfig);
        _system = ActorSystem.Create("recoflow", config);
        _actor = _system.ActorOf(Props.Empty, "task-1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    public static IEnumerable<object[]> MessageTypes() => RemoteMessageTypes().Select(t => new object[] { t.FullName! });

    private static IEnumerable<Type> RemoteMessageTypes()
    {
        var runtime = typeof(LocalRuntime).Assembly.GetTypes().Where(t =>
            t.Namespace is "RecoFlow.Runtime.Channels" or "RecoFlow.Runtime.Execution" &&
            t is { IsClass: true, IsAbstract: false, IsNested: false, IsGenericTypeDefinition: false } &&
            (typeof(ChannelMessage).IsAssignableFrom(t) || IsRecord(t)) &&
            !NotRemote.Contains(t.Name));
        var cluster = typeof(IJobManagerMessage).Assembly.GetTypes().Where(t => typeof(IJobManagerMessage).IsAssignableFrom(t) && !t.IsInterface)
            .Append(typeof(PlaceTask));
        return runtime.Concat(cluster).OrderBy(t => t.FullName, StringComparer.Ordinal);
    }

    private static bool IsRecord(Type t) => t.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance) is not null;

    [Fact]
    public void Reflection_finds_the_runtime_and_job_manager_messages()
    {
        var names = RemoteMessageTypes().Select(t => t.Name).ToHashSet();
        Assert.Contains("DeployTask", names);
        Assert.Contains("BarrierMessage", names);
        Assert.Contains("CreditMessage", names);
        Assert.Contains("SubmitJob", names);
        Assert.Contains("TaskPlaced", names);
        Assert.Contains("TaskMetricsReport", names);
        Assert.Contains("PlaceTask", names);
        Assert.True(names.Count >= 25, $"only {names.Count} message types found");
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Message_type_is_bound_to_the_MessagePack_serializer_and_round_trips(string typeName)
    {
        var type = RemoteMessageTypes().Single(t => t.FullName == typeName);
        var serializer = _system.Serialization.FindSerializerForType(type);
        Assert.IsType<RecoFlowMessagePackSerializer>(serializer);
        Assert.NotNull(RemoteMessages.ManifestOf(type));

        var message = Sample(type, 0)!;
        var ours = (RecoFlowMessagePackSerializer)serializer;
        var bytes = ours.ToBinary(message);
        var back = ours.FromBinary(bytes, ours.Manifest(message));
        Assert.IsType(type, back);
        Assert.Equal(bytes, ours.ToBinary(back));
    }

    [Fact]
    public void Data_batch_carries_its_record_type_in_the_manifest_and_round_trips_records()
    {
        var records = new StreamRecord<YsbEvent>[4];
        records[0] = new StreamRecord<YsbEvent> { Value = new YsbEvent("u1", "p1", "a1", "banner", "view", 1000, "10.0.0.1"), Timestamp = 1000 };
        records[1] = new StreamRecord<YsbEvent> { Value = new YsbEvent("u2", "p2", "a2", "banner", "click", 2000, "10.0.0.2"), Timestamp = 2000 };
        var batch = new DataBatch<YsbEvent> { Channel = 3, Seq = 17, Attempt = 2, Records = records, Count = 2, LastCredit = true };
        var serializer = (RecoFlowMessagePackSerializer)_system.Serialization.FindSerializerFor(batch);
        var manifest = serializer.Manifest(batch);
        Assert.Equal("B|RecoFlow.Jobs.Ysb.YsbEvent, RecoFlow.Jobs", manifest);
        var back = Assert.IsType<DataBatch<YsbEvent>>(serializer.FromBinary(serializer.ToBinary(batch), manifest));
        Assert.Equal((3, 17L, 2, 2, true), (back.Channel, back.Seq, back.Attempt, back.Count, back.LastCredit));
        Assert.Equal(records[..2].Select(r => (r.Value, r.Timestamp)), back.Records[..back.Count].Select(r => (r.Value, r.Timestamp)));
    }

    /// <summary>A record type as a user writes it: no MessagePack attributes, nullable members, a nested collection.</summary>
    public sealed record UserClick(string? User, int? Slot, IReadOnlyList<string>? Tags, double Score);

    /// <summary>A non-public record type: written with the resolver that may use private members.</summary>
    private sealed record HiddenClick(string? User, long At);

    private DataBatch<T> RoundTrip<T>(DataBatch<T> batch, out byte[] bytes)
    {
        var serializer = (RecoFlowMessagePackSerializer)_system.Serialization.FindSerializerFor(batch);
        bytes = serializer.ToBinary(batch);
        return Assert.IsType<DataBatch<T>>(serializer.FromBinary(bytes, serializer.Manifest(batch)));
    }

    private static DataBatch<T> Batch<T>(params T[] values) => new()
    {
        Channel = 1, Seq = 9, Attempt = 3, Count = values.Length,
        Records = values.Select((v, i) => new StreamRecord<T> { Value = v, Timestamp = 100 + i }).ToArray(),
    };

    [Fact]
    public void Data_batch_is_written_as_header_values_and_timestamps_with_positional_built_in_records()
    {
        var batch = Batch(new YsbEvent("u1", "p1", "a1", "banner", "view", 1000, "10.0.0.1"), new YsbEvent("u2", "p2", "a2", "banner", "click", 2000, "10.0.0.2"));
        RoundTrip(batch, out var bytes);
        Assert.Equal("""[1,9,3,false,[["u1","p1","a1","banner","view",1000,"10.0.0.1"],["u2","p2","a2","banner","click",2000,"10.0.0.2"]],[100,101]]""",
            MessagePack.MessagePackSerializer.ConvertToJson(bytes));
        var views = RoundTrip(Batch(new CampaignView("c1", 5), new CampaignView("c2", 6)), out var viewBytes);
        Assert.Equal("""[1,9,3,false,[["c1",5],["c2",6]],[100,101]]""", MessagePack.MessagePackSerializer.ConvertToJson(viewBytes));
        Assert.Equal([new CampaignView("c1", 5), new CampaignView("c2", 6)], views.Records.Select(r => r.Value));
    }

    [Fact]
    public void Data_batch_round_trips_null_fields_null_records_and_user_types_without_attributes()
    {
        var events = RoundTrip(Batch(new YsbEvent(null!, "p", null!, "banner", "view", 7, null!), null!), out _);
        Assert.Equal(2, events.Count);
        Assert.Equal(new YsbEvent(null!, "p", null!, "banner", "view", 7, null!), events.Records[0].Value);
        Assert.Null(events.Records[1].Value);
        Assert.Equal([100L, 101L], events.Records.Select(r => r.Timestamp));

        var clicks = new[] { new UserClick("u", 3, ["a", "b"], 0.5), new UserClick(null, null, null, -1) };
        var back = RoundTrip(Batch(clicks), out var bytes);
        Assert.Contains("\"User\":\"u\"", MessagePack.MessagePackSerializer.ConvertToJson(bytes), StringComparison.Ordinal); // contractless: a map by member name
        Assert.Equal((1, 9L, 3, 2), (back.Channel, back.Seq, back.Attempt, back.Count));
        Assert.Equal(clicks[0] with { Tags = null }, back.Records[0].Value with { Tags = null });
        Assert.Equal(["a", "b"], back.Records[0].Value.Tags!);
        Assert.Equal(clicks[1], back.Records[1].Value);

        var hidden = RoundTrip(Batch(new HiddenClick("h", 1), new HiddenClick(null, 2)), out _);
        Assert.Equal([new HiddenClick("h", 1), new HiddenClick(null, 2)], hidden.Records.Select(r => r.Value));
    }

    [Fact]
    public void Empty_data_batches_round_trip()
    {
        var empty = RoundTrip(new DataBatch<YsbEvent> { Channel = 2, Seq = 5, Attempt = 1, Records = [], Count = 0 }, out var bytes);
        Assert.Equal((2, 5L, 1, 0, 0), (empty.Channel, empty.Seq, empty.Attempt, empty.Count, empty.Records.Length));
        Assert.Equal("[2,5,1,false,[],[]]", MessagePack.MessagePackSerializer.ConvertToJson(bytes));
        // Only the first Count records of a larger array are sent.
        var partial = RoundTrip(new DataBatch<UserClick> { Channel = 0, Seq = 1, Attempt = 1, Records = new StreamRecord<UserClick>[8], Count = 0 }, out _);
        Assert.Empty(partial.Records);
    }

    [Fact]
    public void Batches_larger_than_the_kept_buffer_round_trip_one_after_another()
    {
        var big = Enumerable.Range(0, 40_000).Select(i => new UserClick(new string('x', 100) + i, i, null, i)).ToArray();
        for (var i = 0; i < 2; i++)
        {
            var back = RoundTrip(Batch(big), out _);
            Assert.Equal(big, back.Records.Select(r => r.Value));
        }
        var small = RoundTrip(Batch(new UserClick("after", 1, null, 0)), out _);
        Assert.Equal("after", small.Records[0].Value.User);
    }

    [Fact]
    public void Actor_references_resolve_to_the_same_actor_and_exceptions_keep_type_and_message()
    {
        var type = typeof(LocalRuntime).Assembly.GetType("RecoFlow.Runtime.Execution.TaskFailed")!;
        var message = Sample(type, 0)!;
        var serializer = (RecoFlowMessagePackSerializer)_system.Serialization.FindSerializerFor(message);
        var back = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
        var cause = Assert.IsType<RemoteFailureException>(type.GetProperty("Cause")!.GetValue(back));
        Assert.Equal(("System.InvalidOperationException", "boom"), (cause.OriginalType, cause.Message));

        var deploy = Sample(typeof(LocalRuntime).Assembly.GetType("RecoFlow.Runtime.Execution.DeployTask")!, 0)!;
        var deployBack = serializer.FromBinary(serializer.ToBinary(deploy), serializer.Manifest(deploy));
        var targets = (IEnumerable)deployBack.GetType().GetProperty("WriterTargets")!.GetValue(deployBack)!;
        var target = (ChannelTarget)targets.Cast<IEnumerable>().First().Cast<object>().First();
        Assert.Equal(_actor, target.Task);
    }

    [Fact]
    public void A_deployment_carries_the_restored_keyed_and_operator_state_across_the_wire()
    {
        var keyed = new RecoFlow.Runtime.State.KeyedStateSnapshot();
        keyed.KeyGroups.Add(new RecoFlow.Runtime.State.KeyGroupSnapshot { KeyGroup = 5, States = { ["window-contents"] = [1, 2, 3] }, Checksums = new() { ["window-contents"] = 77 } });
        keyed.KeyGroups.Add(new RecoFlow.Runtime.State.KeyGroupSnapshot { KeyGroup = 9, States = { ["timers"] = [4, 5] } });
        var op = new RecoFlow.Runtime.Execution.OperatorSnapshot { Keyed = keyed, Operator = new RecoFlow.Runtime.State.OperatorStateSnapshot { States = { ["union/x"] = [[6]] } } };
        var restore = new TaskRestore(12, new Dictionary<string, RecoFlow.Runtime.Execution.OperatorSnapshot> { ["window-4"] = op }, null);
        var deploy = new DeployTask(3, [], [], restore, new TaskCheckpointing("recoflow/job/task/window-4/1"));
        var serializer = (RecoFlowMessagePackSerializer)_system.Serialization.FindSerializerFor(deploy);
        var back = Assert.IsType<DeployTask>(serializer.FromBinary(serializer.ToBinary(deploy), serializer.Manifest(deploy)));
        var got = back.Restore!.Operators["window-4"];
        Assert.Equal(12, back.Restore.CheckpointId);
        Assert.Equal([5, 9], got.Keyed!.KeyGroups.Select(k => k.KeyGroup));
        Assert.Equal(new byte[] { 1, 2, 3 }, got.Keyed.KeyGroups[0].States["window-contents"]);
        Assert.Equal(77, got.Keyed.KeyGroups[0].Checksums!["window-contents"]);
        Assert.Equal(new byte[] { 6 }, got.Operator!.States["union/x"][0]);
    }

    /// <summary>A value of <paramref name="t"/> with every member set, built by reflection.</summary>
    private object? Sample(Type t, int depth)
    {
        if (Nullable.GetUnderlyingType(t) is { } inner) return Sample(inner, depth);
        if (t == typeof(string)) return "s-" + depth;
        if (t == typeof(int)) return 7;
        if (t == typeof(long)) return 42L;
        if (t == typeof(double)) return 1.5;
        if (t == typeof(bool)) return true;
        if (t == typeof(byte[])) return new byte[] { 1, 2, 3 };
        if (t == typeof(DateTime)) return new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        if (t == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        if (t == typeof(TimeSpan)) return TimeSpan.FromMilliseconds(1234);
        if (t == typeof(Exception)) return new InvalidOperationException("boom");
        if (t == typeof(IActorRef)) return _actor;
        if (t.IsEnum) return Enum.GetValues(t).GetValue(Enum.GetValues(t).Length - 1);
        if (depth > 5) return t.IsValueType ? Activator.CreateInstance(t) : null;
        if (t.IsArray)
        {
            var array = Array.CreateInstance(t.GetElementType()!, 1);
            array.SetValue(Sample(t.GetElementType()!, depth + 1), 0);
            return array;
        }
        if (t.IsGenericType)
        {
            var def = t.GetGenericTypeDefinition();
            var args = t.GetGenericArguments();
            if (def == typeof(IReadOnlyList<>) || def == typeof(List<>) || def == typeof(IList<>) || def == typeof(IEnumerable<>) || def == typeof(IReadOnlyCollection<>))
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args[0]))!;
                list.Add(Sample(args[0], depth + 1));
                return list;
            }
            if (def == typeof(IReadOnlyDictionary<,>) || def == typeof(Dictionary<,>) || def == typeof(IDictionary<,>))
            {
                var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(args))!;
                dict.Add(Sample(args[0], depth + 1)!, Sample(args[1], depth + 1));
                return dict;
            }
        }
        var ctor = t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(c => !c.GetParameters().Any(p => p.ParameterType == t)) // not the record copy constructor
            .OrderByDescending(c => c.GetParameters().Length).First();
        var instance = ctor.Invoke(ctor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1)).ToArray());
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
            if (ctor.GetParameters().All(a => !string.Equals(a.Name, p.Name, StringComparison.OrdinalIgnoreCase)))
                p.SetValue(instance, Sample(p.PropertyType, depth + 1));
        return instance;
    }
}
