using Akka.Actor;
using RecoFlow.Api.Streams;
using System.Reflection;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Graph;
using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Channels;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Runtime.Execution;

/// <summary>What a task needs from its surroundings to build its chain.</summary>
internal sealed record TaskEnvironment(
    RuntimeSettings Settings,
    IReadOnlyDictionary<string, string> JobParameters,
    int MaxParallelism,
    IProcessingTimeService ProcessingTime,
    IClock Clock,
    DeadLetterCollector DeadLetters,
    string? StateDirectory,
    bool Checkpointing = false,
    Api.State.StateBackendKind StateBackend = Api.State.StateBackendKind.Heap)
{
    /// <summary>The surroundings of every task of a job: each task gets its own processing-time service (timers are messages to it).</summary>
    public static Func<IActorRef, IScheduler, TaskEnvironment> Factory(RuntimeSettings settings, JobGraph graph, IClock clock, DeadLetterCollector deadLetters,
        string? stateDirectory, bool checkpointing) =>
        (task, scheduler) => new TaskEnvironment(settings, graph.Parameters, graph.MaxParallelism, new TaskProcessingTimeService(task, scheduler, clock), clock,
            deadLetters, stateDirectory, checkpointing, graph.StateBackend);
}

/// <summary>
/// The operators of one task, built and wired for one subtask of a <see cref="JobVertex"/>: chained operators call each
/// other directly; network edges end in <see cref="RecordWriter{T}"/>s.
/// </summary>
internal sealed class TaskChain : IDisposable
{
    private static readonly MethodInfo BuildNodeMethod = typeof(TaskChain).GetMethod(nameof(BuildNode), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private readonly JobVertex _vertex;
    private readonly int _subtask;
    private readonly TaskEnvironment _env;
    private readonly Action<bool> _sourceIdleChanged;
    private readonly Dictionary<Transformation, object> _operators = [];

    /// <param name="sourceIdleChanged">Called when the source of this chain (if any) turns idle or active.</param>
    public TaskChain(JobVertex vertex, int subtask, TaskEnvironment env, Action<bool> sourceIdleChanged)
    {
        _vertex = vertex;
        _subtask = subtask;
        _env = env;
        _sourceIdleChanged = sourceIdleChanged;
        foreach (var ve in vertex.Outputs) Writers.Add(CreateWriter(ve));
        for (var i = vertex.Nodes.Count - 1; i >= 0; i--)
        {
            var node = vertex.Nodes[i];
            var outType = node is SinkTransformationBase ? typeof(Unit) : node.OutputType;
            BuildNodeMethod.MakeGenericMethod(outType).Invoke(this, [node]);
        }
        Operators.Reverse();
        Contexts.Reverse();
    }

    public List<IRecordWriter> Writers { get; } = [];

    /// <summary>Operators in chain order, head first.</summary>
    public List<IStreamOperator> Operators { get; } = [];

    /// <summary>Contexts of <see cref="Operators"/>, same order; they hold the state.</summary>
    public List<OperatorContext> Contexts { get; } = [];

    public ISourceDriver? Source { get; private set; }
    public IInputProcessor? Input { get; private set; }
    public IStreamOperator? Head => Operators.Count > 0 && Source is null ? Operators[0] : null;

    private IRecordWriter CreateWriter(VertexEdge ve)
    {
        var recordType = ve.Edge.SideOutput?.RecordType ?? ve.FromNode.OutputType;
        var writerType = typeof(RecordWriter<>).MakeGenericType(recordType);
        Action<string, object?, long> deadLetter = (reason, record, ts) => _env.DeadLetters.Report(ve.To.Head.Name, reason, record, ts);
        return (IRecordWriter)Activator.CreateInstance(writerType, ve.WriterIndex, ve.Partitioning, ve.Edge.Key, _subtask, _env.MaxParallelism,
            ve.To.Parallelism, _env.Settings.BatchSize, _env.Settings.ChannelCredits, ve.To.Head.ToString(), deadLetter)!;
    }

    private void BuildNode<TOut>(Transformation node)
    {
        var main = new List<IOutput<TOut>>();
        var side = new Dictionary<string, List<object>>(StringComparer.Ordinal);
        void AddTarget(IOutputTag? tag, object target)
        {
            if (tag is null) main.Add((IOutput<TOut>)target);
            else
            {
                if (!side.TryGetValue(tag.Id, out var list)) side[tag.Id] = list = [];
                list.Add(target);
            }
        }
        foreach (var consumer in _vertex.Nodes)
            foreach (var e in consumer.Inputs)
                if (e.Source == node && _operators.TryGetValue(consumer, out var op))
                {
                    var recordType = e.SideOutput?.RecordType ?? typeof(TOut);
                    AddTarget(e.SideOutput, Activator.CreateInstance(typeof(ChainingOutput<>).MakeGenericType(recordType), op)!);
                }
        foreach (var ve in _vertex.Outputs)
            if (ve.FromNode == node) AddTarget(ve.Edge.SideOutput, Writers[ve.WriterIndex]);

        var sideOutputs = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (tag, targets) in side)
        {
            if (targets.Count == 1) { sideOutputs[tag] = targets[0]; continue; }
            var recordType = targets[0].GetType().GetGenericArguments()[0];
            var listType = typeof(List<>).MakeGenericType(typeof(IOutput<>).MakeGenericType(recordType));
            var typed = (System.Collections.IList)Activator.CreateInstance(listType)!;
            foreach (var t in targets) typed.Add(t);
            sideOutputs[tag] = Activator.CreateInstance(typeof(FanOutOutput<>).MakeGenericType(recordType), typed)!;
        }
        IOutput<TOut> output = main.Count == 0 && sideOutputs.Count == 0 ? NullOutput<TOut>.Instance : new OperatorOutput<TOut>(main, sideOutputs);

        var ctx = new OperatorContext(node.Name, node.OperatorId, _subtask, node.EffectiveParallelism, _env.MaxParallelism, _env.JobParameters,
            _env.ProcessingTime, _env.DeadLetters.For(node.Name), node.KeyedBy?.KeyType, _env.StateBackend, _env.StateDirectory);

        switch (node)
        {
            case SourceTransformationBase:
                Source = (ISourceDriver)typeof(TaskChain).GetMethod(nameof(CreateSource), BindingFlags.NonPublic | BindingFlags.Instance)!
                    .MakeGenericMethod(typeof(TOut)).Invoke(this, [node, output, ctx])!;
                break;
            case SinkTransformationBase:
            {
                var recordType = node.Inputs[0].SideOutput?.RecordType ?? node.Inputs[0].Source.OutputType;
                var sinkProp = node.GetType().GetProperty("Sink")!;
                var op = Activator.CreateInstance(typeof(SinkOperator<>).MakeGenericType(recordType), sinkProp.GetValue(node), _env.StateDirectory, _env.Checkpointing)!;
                Register(node, (StreamOperator<Unit>)op, (IOutput<Unit>)(object)output, ctx);
                break;
            }
            default:
            {
                var factory = (Delegate)node.GetType().GetProperty("OperatorFactory")!.GetValue(node)!;
                var op = (StreamOperator<TOut>)factory.DynamicInvoke()!;
                Register(node, op, output, ctx);
                break;
            }
        }
    }

    private void Register<TOut>(Transformation node, StreamOperator<TOut> op, IOutput<TOut> output, OperatorContext ctx)
    {
        op.Setup(ctx, output);
        _operators[node] = op;
        Operators.Add(op);
        Contexts.Add(ctx);
        if (node == _vertex.Head)
        {
            var type = op.GetType();
            var two = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ITwoInputOperator<,>));
            if (two is not null)
                Input = (IInputProcessor)Activator.CreateInstance(typeof(TwoInputProcessor<,>).MakeGenericType(two.GetGenericArguments()), op)!;
            else
            {
                var one = type.GetInterfaces().First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IOneInputOperator<>));
                Input = (IInputProcessor)Activator.CreateInstance(typeof(OneInputProcessor<>).MakeGenericType(one.GetGenericArguments()), op)!;
            }
        }
    }

    private ISourceDriver CreateSource<T>(SourceTransformation<T> node, IOutput<T> output, OperatorContext ctx)
    {
        var sourceCtx = new SourceContext(_subtask, node.EffectiveParallelism, _env.JobParameters, ctx.DeadLetters);
        var reader = node.Source.CreateReader(sourceCtx);
        Contexts.Add(ctx);
        Operators.Add(new SourcePlaceholder());
        SourceNode = node;
        SourceContext = sourceCtx;
        return new SourceDriver<T>(reader, node.Watermarks, output, _env.Clock, _sourceIdleChanged);
    }

    public SourceTransformationBase? SourceNode { get; private set; }
    public SourceContext? SourceContext { get; private set; }

    /// <summary>Initial splits of this source subtask in a fresh run: split i goes to subtask i mod parallelism.</summary>
    public IReadOnlyList<SourceSplit> InitialSplits()
    {
        if (SourceNode is null) return [];
        var source = SourceNode.GetType().GetProperty("Source")!.GetValue(SourceNode)!;
        var splits = (IReadOnlyList<SourceSplit>)source.GetType().GetMethod("CreateSplits")!.Invoke(source, [SourceContext])!;
        return splits.Where((_, i) => i % SourceNode.EffectiveParallelism == _subtask).ToList();
    }

    public void AddSplits(IReadOnlyList<SourceSplit> splits)
    {
        var m = Source!.GetType().GetMethod("AddSplits")!;
        m.Invoke(Source, [splits]);
    }

    /// <summary>
    /// Restores the operators' state from <paramref name="restore"/> (if any), initializes and opens them tail first (so an
    /// operator's output is open before it emits), then gives the source its splits (Flink: OperatorChain.initializeStateAndOpenOperators).
    /// </summary>
    public void InitializeStateAndOpen(TaskRestore? restore)
    {
        if (restore is not null)
            foreach (var ctx in Contexts)
                if (restore.Operators.TryGetValue(ctx.OperatorId, out var snapshot)) ctx.Restore(restore.CheckpointId, snapshot);
        for (var i = Operators.Count - 1; i >= 0; i--)
        {
            Operators[i].InitializeState(Contexts[i]);
            Operators[i].Open();
        }
        if (Source is not null)
        {
            AddSplits(restore?.Splits ?? InitialSplits());
            if (restore?.SplitWatermarks is { } watermarks) Source.RestoreWatermarks(watermarks);
        }
    }

    /// <summary>This subtask's state for checkpoint <paramref name="id"/>: the source's splits and every operator's state, copied synchronously
    /// (Flink: the synchronous part of SubtaskCheckpointCoordinatorImpl.checkpointState over the OperatorChain).</summary>
    /// <param name="deltaOf">Incremental: the checkpoint whose row this task wrote last; keyed state is then written as
    /// the changes since that snapshot where it can be (<see cref="TaskStateSnapshot.DeltaOf"/> says whether any was).</param>
    public TaskStateSnapshot Snapshot(long id, long? deltaOf = null)
    {
        var snap = new TaskStateSnapshot { CheckpointId = id, VertexUid = _vertex.Uid, Subtask = _subtask, Parallelism = _vertex.Parallelism };
        if (Source is not null)
        {
            snap.Splits = [.. Source.SnapshotSplits(id)];
            snap.SplitWatermarks = Source.SnapshotWatermarks();
        }
        for (var i = 0; i < Operators.Count; i++)
        {
            if (Operators[i] is SourcePlaceholder) continue;
            Operators[i].SnapshotState(id);
            var op = Contexts[i].Snapshot(deltaOf is not null);
            if (op.Keyed is { IsIncremental: true } || op.Operator is { HasPatches: true }) snap.DeltaOf = deltaOf;
            snap.Operators[Contexts[i].OperatorId] = op;
        }
        return snap;
    }

    /// <summary>Checkpoint <paramref name="id"/> is durable: operators and the source commit what they pre-committed for it.</summary>
    public void NotifyCheckpointComplete(long id)
    {
        foreach (var op in Operators)
            if (op is ICheckpointListener l) l.NotifyCheckpointComplete(id);
        Source?.NotifyCheckpointComplete(id);
    }

    /// <summary>Copies the chain's counters into the task's metrics.</summary>
    public void UpdateMetrics(TaskMetrics metrics)
    {
        long outCount = 0, written = 0;
        foreach (var w in Writers) outCount += w.RecordsOut;
        foreach (var op in Operators) if (op is ISinkOperator s) written += s.Written;
        metrics.RecordsOut = outCount;
        metrics.RecordsWritten = written;
        if (Source is not null)
        {
            metrics.RecordsRead = Source.RecordsOut;
            if (Source.CurrentWatermark != Api.Time.Watermark.NoTimestamp) metrics.CurrentWatermark = Source.CurrentWatermark;
        }
    }

    public void Dispose()
    {
        foreach (var op in Operators) op.Dispose();
        Source?.Dispose();
        foreach (var ctx in Contexts) ctx.Dispose();
    }

    /// <summary>Stands in for the source in the operator list, so contexts and operators line up.</summary>
    internal sealed class SourcePlaceholder : IStreamOperator
    {
        public long CurrentWatermark => Api.Time.Watermark.NoTimestamp;
        public void InitializeState(Api.State.IStateInitializationContext context) { }
        public void Open() { }
        public void ProcessWatermark(long watermark) { }
        public void SnapshotState(long checkpointId) { }
        public void Finish() { }
        public void Dispose() { }
    }
}
