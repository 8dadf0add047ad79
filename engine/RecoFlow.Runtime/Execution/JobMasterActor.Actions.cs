using RecoFlow.Runtime.Observability;
using Akka.Actor;
using Akka.Event;
using RecoFlow.Runtime.Checkpointing;
using RecoFlow.Runtime.Coordination;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// The steps the job master's behaviours take: each asks a decision class (<see cref="CheckpointCoordinator"/>,
/// <see cref="FailoverHandler"/>, <see cref="DeploymentPlanner"/>) and carries out the answer with messages, timers
/// and child actors.
/// </summary>
internal sealed partial class JobMasterActor
{
    // ---- restore ----

    private void OnHistory(CheckpointHistory h)
    {
        foreach (var r in h.Records) _metrics.AddCheckpoint(r);
        if (_coordinator.Recover(h.Records) is { } last)
        {
            _log.Info("job {JobId}: resuming from checkpoint {CheckpointId}", _settings.JobKey, last.Id);
            _store!.Tell(new LoadCheckpoint(last));
        }
        else StartFromSavepointOrScratch();
    }

    private void OnLoadFailed(CheckpointLoadFailed f)
    {
        _log.Warning("job {JobId}: checkpoint {CheckpointId} could not be loaded: {Cause}", _settings.JobKey, f.Record.Id, f.Cause.Message);
        if (_coordinator.FallBackFrom(f.Record) is { } previous)
        {
            _log.Warning("job {JobId}: falling back to checkpoint {CheckpointId}", _settings.JobKey, previous.Id);
            _store!.Tell(new LoadCheckpoint(previous));
            return;
        }
        Complete(JobState.Failed, f.Cause);
    }

    private void StartFromSavepointOrScratch()
    {
        if (_settings.FromSavepoint is not { } path)
        {
            StartAttempt(null, 0);
            return;
        }
        // Savepoint files are read on the thread pool (Flink reads them in the JobMaster's I/O executor); their
        // result comes back as a message, and everything else waits for it.
        var cipher = SnapshotEncryption.For(Context.System);
        Become(ReadingSavepoint);
        Task.Run(() =>
        {
            try
            {
                var (record, tasks) = Savepoints.Read(path, cipher);
                return (object)new SavepointRead(record, tasks);
            }
            catch (Exception e)
            {
                return new SavepointReadFailed(e);
            }
        }).PipeTo(Self);
    }

    // ---- deployment ----

    /// <param name="source">Where <paramref name="snapshots"/> were read from (their handles), for the tasks away from the job master.</param>
    private void StartAttempt(IReadOnlyList<TaskStateSnapshot>? snapshots, long checkpointId, RestoreSource? source = null)
    {
        Dictionary<TaskId, TaskRestore>? restore = null;
        if (snapshots is not null)
        {
            try
            {
                restore = RestorePlanner.Plan(_plan, snapshots, checkpointId);
            }
            catch (Exception e)
            {
                Complete(JobState.Failed, e);
                return;
            }
        }
        _attempt = new ExecutionAttempt(_attempt.Number + 1) { Restore = restore, RestoreSource = restore is null ? null : source, RestoredFrom = restore is null ? null : checkpointId };
        _coordinator.StartAttempt(_attempt.Number);
        Become(Deploying);
        var placement = _settings.Placement;
        foreach (var (id, v) in _deployment.Tasks())
        {
            if (placement is not null && placement.IsRemote(v))
            {
                _attempt.Remote.Add(id);
                _attempt.ToPlace++;
                placement.Place(new TaskPlacementRequest(_settings.JobId, _attempt.Number, v.Id, id.Subtask, v.Uid, v.Parallelism, _plan.Graph.MaxParallelism,
                    _settings.StateDirectory, Checkpointing, Self));
                continue;
            }
            var task = Context.ActorOf(TaskActor.Props(id, v, Self, _taskMetrics[id], _environment), $"task-{v.Id}-{id.Subtask}-{_attempt.Number}");
            Context.Watch(task);
            _attempt.Tasks[id] = task;
        }
        if (_attempt.ToPlace > 0)
        {
            Timers.StartSingleTimer("placement", new PlacementExpired(_attempt.Number), placement!.Timeout);
            return;
        }
        DeployAll();
    }

    private void OnPlaced(TaskPlaced p)
    {
        if (p.Attempt != _attempt.Number || !_attempt.Remote.Contains(p.Task) || _attempt.Tasks.ContainsKey(p.Task))
        {
            RejectPlaced(p);
            return;
        }
        if (p.Ref is null)
        {
            Failover(new InvalidOperationException($"task {Name(p.Task)} could not start: {p.Error}"));
            return;
        }
        Context.Watch(p.Ref);
        _attempt.Tasks[p.Task] = p.Ref;
        if (_taskMetrics.TryGetValue(p.Task, out var metrics)) metrics.Location = p.Ref.Path.Address.HasGlobalScope ? p.Ref.Path.Address.ToString() : null;
        if (--_attempt.ToPlace == 0)
        {
            Timers.Cancel("placement");
            DeployAll();
        }
    }

    /// <summary>A task of an old attempt, one placed twice, or one placed while not deploying: it must not run.</summary>
    private void RejectPlaced(TaskPlaced p)
    {
        if (p.Ref is not null && !(_attempt.Tasks.TryGetValue(p.Task, out var current) && current.Equals(p.Ref))) p.Ref.Tell(PoisonPill.Instance);
    }

    /// <summary>Every task of the attempt is there (created or placed): wire and deploy them, restoring what the attempt restores.</summary>
    private void DeployAll()
    {
        var restore = _attempt.Restore;
        var source = _attempt.RestoreSource;
        _attempt.Restore = null;
        _attempt.RestoreSource = null;
        var vertices = _plan.Vertices.ToDictionary(v => v.Id);
        foreach (var (id, deploy) in _deployment.Deployments(_attempt.Number, _attempt.Tasks, restore))
        {
            // A remote task gets the handles of its state and reads it itself: remote frames are limited in size.
            var d = deploy.Restore is { } r && source is not null && _attempt.Remote.Contains(id)
                ? deploy with { Restore = null, RestoreHandles = source.For(vertices[id.Vertex], r.CheckpointId) }
                : deploy;
            if (deploy.Restore is not null && source is not null && deploy.Checkpointing is { } c)
                d = d with { RestoredRow = source.OwnRow(vertices[id.Vertex], id.Subtask, c.PersistenceId) };
            _attempt.Tasks[id].Tell(d);
        }
    }

    private void StartTasks()
    {
        Become(Running);
        _runningSince = DateTime.UtcNow;
        RecoFlowTracing.Record("job.deploy", _attempt.StartedAt, _runningSince,
        [
            new("recoflow.job.id", _settings.JobKey), new("recoflow.job.name", _plan.Graph.Name), new("recoflow.attempt", _attempt.Number),
            new("recoflow.tasks", _attempt.Tasks.Count), new("recoflow.tasks.remote", _attempt.Remote.Count), new("recoflow.restored_from", _attempt.RestoredFrom),
        ]);
        _metrics.State = JobState.Running;
        foreach (var t in _attempt.Tasks.Values) t.Tell(new StartTask());
        if (Checkpointing)
            Timers.StartPeriodicTimer("checkpoint", new CheckpointTick(), _settings.Checkpoints!.Interval);
        if (_coordinator.HasSavepointRequest) MaybeTrigger();
    }

    // ---- checkpoints ----

    private void MaybeTrigger()
    {
        if (!_coordinator.CanTrigger) return;
        _failover.OnRunning(_runningSince);
        if (_coordinator.TryTrigger() is not { } pending) return;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // A savepoint's location is chosen here and travels with the barriers: each task writes its own file into it.
        if (pending.Savepoint is { } request) pending.SavepointTarget = SavepointLocation.ForNew(request.Directory, pending.Id);
        var directory = pending.SavepointTarget?.InProgressPath;
        foreach (var id in _deployment.SourceTasks())
            _attempt.Tasks[id].Tell(new TriggerCheckpoint(pending.Id, now, pending.IsSavepoint, _attempt.Number, directory, pending.Savepoint?.Drain == true));
        Timers.StartSingleTimer("checkpoint-timeout", new CheckpointExpired(pending.Id), _coordinator.Timeout);
    }

    private void Persist(CheckpointRecord record)
    {
        if (_store is not null) _store.Tell(new PersistRecord(record));
        else Self.Tell(new RecordPersisted(record));
    }

    private void OnRecordPersisted(CheckpointRecord record)
    {
        _metrics.AddCheckpoint(record);
        RecoFlowTracing.Record("checkpoint", record.TriggeredAt, record.TriggeredAt.AddMilliseconds(Math.Max(0, record.DurationMs)),
        [
            new("recoflow.job.id", _settings.JobKey), new("recoflow.job.name", _plan.Graph.Name), new("recoflow.checkpoint.id", record.Id),
            new("recoflow.checkpoint.status", record.Status.ToString()), new("recoflow.checkpoint.size_bytes", record.SizeBytes),
            new("recoflow.checkpoint.final", record.IsFinal), new("recoflow.attempt", _attempt.Number),
        ], record.Status == CheckpointStatus.Completed ? null : record.FailureCause ?? "failed");
        if (record.Status != CheckpointStatus.Completed) return;
        var completed = _coordinator.OnCompleted(record);
        _metrics.LastCheckpoint = record;
        _log.Info("job {JobId}: checkpoint {CheckpointId} completed in {DurationMs} ms ({SizeBytes} bytes)", _settings.JobKey, record.Id, Math.Round(record.DurationMs), record.SizeBytes);
        if (record.IsFinal)
        {
            Timers.Cancel("checkpoint-timeout");
            _attempt.FinalNotified = true;
            foreach (var t in _attempt.Tasks.Values) t.Tell(new NotifyCheckpointComplete(long.MaxValue, _attempt.Number, Final: true));
            return;
        }
        if (completed is null) return;
        Timers.Cancel("checkpoint-timeout");
        foreach (var t in _attempt.Tasks.Values) t.Tell(new NotifyCheckpointComplete(record.Id, _attempt.Number));
        if (completed.Savepoint is { } request) WriteSavepoint(record, completed, request);
    }

    /// <summary>
    /// Completes the savepoint on the thread pool: the tasks wrote their state files, the job master writes only the
    /// <c>_metadata</c> from their handles and renames the directory; everything else waits for the result.
    /// </summary>
    private void WriteSavepoint(CheckpointRecord record, PendingCheckpoint pending, SavepointRequest request)
    {
        var acks = pending.Acks.Values.ToList();
        var missing = acks.Where(a => a.Savepoint is null).Select(a => Name(a.Task)).FirstOrDefault();
        var target = pending.SavepointTarget ?? SavepointLocation.ForNew(request.Directory, record.Id);
        Become(WritingSavepoint);
        Task.Run(() =>
        {
            try
            {
                if (missing is not null) throw new InvalidOperationException($"task {missing} acknowledged savepoint {record.Id} without writing its state file");
                return (object)new SavepointWritten(record.Id, target.Complete(record, acks.Select(a => a.Savepoint!).ToList()), request);
            }
            catch (Exception e)
            {
                return new SavepointWriteFailed(record.Id, request, e);
            }
        }).PipeTo(Self);
    }

    private void AbortPending(string cause)
    {
        if (_coordinator.Pending is not { } pending) return;
        Timers.Cancel("checkpoint-timeout");
        if (_coordinator.Abort(cause) is { } failed)
        {
            Persist(failed);
            pending.SavepointTarget?.DisposeInProgress();
        }
    }

    // ---- finishing ----

    private void OnTaskFinished(TaskFinished f)
    {
        var allFinished = _attempt.OnFinished(f);
        var aborting = _coordinator.Pending;
        var outcome = _coordinator.OnTaskFinished(Name(f.Task));
        if (outcome.AbortedPending)
        {
            Timers.Cancel("checkpoint-timeout");
            aborting?.SavepointTarget?.DisposeInProgress();
            if (outcome.FailedRecord is { } failed) Persist(failed);
        }
        outcome.RejectedSavepoint?.ReplyTo?.Tell(new SavepointFailed("the job is finishing: its input ended"));
        if (!allFinished) return;
        Timers.Cancel("checkpoint");
        if (!Checkpointing)
        {
            Complete(JobState.Finished, null);
            return;
        }
        // The final checkpoint: every task writes the state it kept after its input ended, under one id, and acknowledges
        // with its handle (the states never travel here).
        var pending = _coordinator.BeginFinalCheckpoint(_attempt.Finished.Values.Max(x => x.FinalCheckpointId));
        foreach (var t in _attempt.Tasks.Values) t.Tell(new TriggerFinalCheckpoint(pending.Id, _attempt.Number));
        Timers.StartSingleTimer("checkpoint-timeout", new CheckpointExpired(pending.Id), _coordinator.Timeout);
    }

    // ---- failures ----

    /// <summary>Only the behaviours of a live attempt (Restoring, Deploying, Running) fail over: a restarting or ended job has nothing left to fail.</summary>
    private void Failover(Exception cause)
    {
        _log.Warning("job {JobId}: attempt {Attempt} failed: {Cause}", _settings.JobKey, _attempt.Number, cause.Message);
        _metrics.AddFailure(cause);
        var decision = _failover.OnFailure(cause, DateTime.UtcNow, _attempt.Tasks.Count);
        var now = DateTime.UtcNow;
        RecoFlowTracing.Record("job.failover", now, now,
        [
            new("recoflow.job.id", _settings.JobKey), new("recoflow.job.name", _plan.Graph.Name), new("recoflow.attempt", _attempt.Number),
            new("recoflow.restart", decision.CanRestart), new("recoflow.restart_delay_ms", decision.RestartDelay?.TotalMilliseconds),
        ], cause.Message);
        if (!decision.CanRestart)
        {
            Complete(JobState.Failed, decision.Failure);
            return;
        }
        AbortPending($"the job failed: {cause.Message}");
        Timers.Cancel("checkpoint");
        Become(Restarting);
        _metrics.State = JobState.Restarting;
        _metrics.Restarts = _failover.Restarts;
        foreach (var (id, t) in _attempt.Tasks) StopTask(id, t);
        _attempt.Tasks.Clear();
        _attempt.ToPlace = 0;
        Timers.Cancel("placement");
        Timers.StartSingleTimer("restart", new RestartDelayElapsed(_attempt.Number), decision.RestartDelay!.Value);
    }

    private void StopTask(TaskId id, IActorRef task)
    {
        if (_attempt.Remote.Contains(id)) task.Tell(PoisonPill.Instance);
        else Context.Stop(task);
    }

    private void OnTaskTerminated(Terminated t)
    {
        foreach (var (id, task) in _attempt.Tasks)
            if (task.Equals(t.ActorRef))
            {
                // Gone already: the failover must not wait for its Terminated again.
                _attempt.Tasks.Remove(id);
                var where = _attempt.Remote.Contains(id) && t.AddressTerminated ? $" (its node {task.Path.Address} left the cluster)" : "";
                Failover(new InvalidOperationException($"task {Name(id)} stopped unexpectedly{where}"));
                return;
            }
    }

    /// <summary>The old attempt's tasks are all gone (their sinks closed) and the strategy's delay passed: restore and deploy a new attempt.</summary>
    private void Restart()
    {
        Become(Restoring);
        if (_coordinator.LastCompleted is { } last && _store is not null) _store.Tell(new LoadCheckpoint(last));
        else if (_savepointState is not null) StartAttempt(_savepointState, _restoredFrom ?? 0, _savepointSource);
        else StartAttempt(null, 0);
    }

    private void Complete(JobState state, Exception? failure, string? savepoint = null)
    {
        if (_result is not null) return;
        Become(Done);
        _metrics.State = state;
        _result = new JobResult(_settings.JobId, state, failure, DateTime.UtcNow - _started)
        {
            Restarts = _failover.Restarts,
            RestoredFrom = _restoredFrom,
            AlreadyFinished = _restoredFinal && state == JobState.Finished && _failover.Restarts == 0,
            LastCheckpoint = _coordinator.LastCompleted?.Id,
            SavepointPath = savepoint,
        };
        if (failure is not null) _log.Warning("job {JobId} failed: {Cause}", _settings.JobKey, failure.Message);
        // Local tasks stop with the job master (its children); remote ones are told to, and awaited.
        foreach (var id in _attempt.Remote)
            if (_attempt.Tasks.TryGetValue(id, out var task))
            {
                _stopping.Add(task);
                task.Tell(PoisonPill.Instance);
            }
        if (_stopping.Count == 0) Context.Stop(Self);
        else Timers.StartSingleTimer("remote-stop", new RemoteStopExpired(), TimeSpan.FromSeconds(30));
    }

    /// <summary>Children (tasks) have stopped and disposed their operators by now, so sinks are closed when the result is seen.</summary>
    protected override void PostStop() =>
        _completion.TrySetResult(_result ?? new JobResult(_settings.JobId, JobState.Canceled, null, DateTime.UtcNow - _started) { Restarts = _failover.Restarts });
}
