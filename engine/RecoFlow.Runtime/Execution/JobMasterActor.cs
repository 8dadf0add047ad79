using Akka.Actor;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Runtime.Execution;

public enum JobState { Created, Running, Restarting, Finished, Failed, Canceled }

/// <summary>How a job run ended.</summary>
public sealed record JobResult(string JobId, JobState State, Exception? Failure, TimeSpan Duration);

/// <summary>
/// Runs one job attempt (Flink: JobMaster): creates a task actor per subtask of every vertex, wires their channels,
/// starts them once all are deployed, and completes the job when every task finished, or fails it on the first task
/// failure, stopping the rest.
/// </summary>
internal sealed class JobMasterActor : UntypedActor
{
    private readonly string _jobId;
    private readonly ExecutionPlan _plan;
    private readonly JobMetrics _metrics;
    private readonly TaskCompletionSource<JobResult> _completion;
    private readonly Func<IActorRef, IScheduler, TaskEnvironment> _environment;
    private readonly Dictionary<TaskId, IActorRef> _tasks = [];
    private readonly DateTime _started = DateTime.UtcNow;
    private int _ready;
    private int _finished;
    private bool _done;
    private JobResult? _result;

    public JobMasterActor(string jobId, ExecutionPlan plan, JobMetrics metrics, TaskCompletionSource<JobResult> completion, Func<IActorRef, IScheduler, TaskEnvironment> environment)
    {
        _jobId = jobId;
        _plan = plan;
        _metrics = metrics;
        _completion = completion;
        _environment = environment;
    }

    public static Props Props(string jobId, ExecutionPlan plan, JobMetrics metrics, TaskCompletionSource<JobResult> completion, Func<IActorRef, IScheduler, TaskEnvironment> environment) =>
        Akka.Actor.Props.Create(() => new JobMasterActor(jobId, plan, metrics, completion, environment));

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        Self.Tell(new TaskFailed(new TaskId(-1, -1), e));
        return Directive.Stop;
    });

    protected override void PreStart()
    {
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
            {
                var id = new TaskId(v.Id, i);
                var m = _metrics.Add(id, v.Parallelism > 1 ? $"{v.Name} ({i + 1}/{v.Parallelism})" : v.Name);
                _tasks[id] = Context.ActorOf(TaskActor.Props(id, v, Self, m, _environment), $"task-{v.Id}-{i}");
            }
        foreach (var v in _plan.Vertices)
            for (var i = 0; i < v.Parallelism; i++)
                _tasks[new TaskId(v.Id, i)].Tell(Deployment(v, i, attempt: 1));
    }

    /// <summary>
    /// Channel layout: a writer of subtask i on edge e has one channel per downstream subtask j; the downstream task
    /// numbers its input channels over its input edges in order, then over upstream subtasks.
    /// </summary>
    private DeployTask Deployment(JobVertex v, int subtask, int attempt)
    {
        var writers = new List<IReadOnlyList<ChannelTarget>>();
        foreach (var e in v.Outputs)
        {
            var offset = InputChannelOffset(e);
            writers.Add(Enumerable.Range(0, e.To.Parallelism).Select(j => new ChannelTarget(_tasks[new TaskId(e.To.Id, j)], offset + subtask)).ToList());
        }
        var inputs = new List<ChannelSource>();
        foreach (var e in v.Inputs)
            for (var i = 0; i < e.From.Parallelism; i++)
                inputs.Add(new ChannelSource(_tasks[new TaskId(e.From.Id, i)], e.WriterIndex, subtask, e.Edge.InputIndex));
        return new DeployTask(attempt, writers, inputs, null);
    }

    private static int InputChannelOffset(VertexEdge edge)
    {
        var offset = 0;
        foreach (var e in edge.To.Inputs)
        {
            if (e == edge) return offset;
            offset += e.From.Parallelism;
        }
        throw new InvalidOperationException("edge is not an input of its target");
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case TaskReady:
                if (++_ready == _tasks.Count)
                    foreach (var t in _tasks.Values) t.Tell(new StartTask());
                break;
            case TaskFinished:
                if (++_finished == _tasks.Count) Complete(JobState.Finished, null);
                break;
            case TaskFailed f:
                Complete(JobState.Failed, f.Cause);
                break;
            case CancelJob:
                Complete(JobState.Canceled, null);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Complete(JobState state, Exception? failure)
    {
        if (_done) return;
        _done = true;
        _result = new JobResult(_jobId, state, failure, DateTime.UtcNow - _started);
        Context.Stop(Self);
    }

    /// <summary>Children (tasks) have stopped and disposed their operators by now, so sinks are closed when the result is seen.</summary>
    protected override void PostStop() =>
        _completion.TrySetResult(_result ?? new JobResult(_jobId, JobState.Canceled, null, DateTime.UtcNow - _started));
}
