using Akka.Actor;
using RecoFlow.Api.Operators;

namespace RecoFlow.Runtime.Execution;

/// <summary>Processing-time timers of one task: delivered as messages to the task, so they never run concurrently with it.</summary>
internal sealed class TaskProcessingTimeService(IActorRef task, IScheduler scheduler, IClock clock) : IProcessingTimeService
{
    public long CurrentProcessingTime => clock.NowMillis;

    public void RegisterTimer(long timestamp, Action<long> callback)
    {
        var delay = Math.Max(0, timestamp - clock.NowMillis);
        scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(delay), task, new ProcessingTimerFired(callback, timestamp), ActorRefs.NoSender);
    }
}
