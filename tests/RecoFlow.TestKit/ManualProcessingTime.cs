using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.TestKit;

/// <summary>Processing time that moves only when the test says so; due callbacks fire in time order on <see cref="AdvanceTo"/>.</summary>
public sealed class ManualProcessingTime(long start = 0) : IProcessingTimeService, IClock
{
    private readonly PriorityQueue<Action<long>, long> _timers = new();

    public long CurrentProcessingTime { get; private set; } = start;
    public long NowMillis => CurrentProcessingTime;
    public int PendingTimers => _timers.Count;

    public void RegisterTimer(long timestamp, Action<long> callback) => _timers.Enqueue(callback, timestamp);

    /// <summary>Sets the clock and fires every callback due by then (callbacks registered meanwhile fire too if due).</summary>
    public void AdvanceTo(long time)
    {
        if (time < CurrentProcessingTime) throw new ArgumentOutOfRangeException(nameof(time), "processing time cannot go back");
        while (_timers.TryPeek(out var cb, out var due) && due <= time)
        {
            _timers.Dequeue();
            CurrentProcessingTime = due;
            cb(due);
        }
        CurrentProcessingTime = time;
    }
}
