using System.Collections.Concurrent;

namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>An event ready for the job: keyed by pseudonymous user id, value is the event as JSON (UTF-8); <see cref="ItemId"/> for node-side popularity.</summary>
public sealed record CapturedEvent(string Key, byte[] Value, string? ItemId = null);

/// <summary>Where /collect hands accepted events: the interactions topic.</summary>
public interface IEventPublisher
{
    /// <summary>Publishes the events; completes when the destination has them (or throws).</summary>
    Task PublishAsync(string topic, IReadOnlyList<CapturedEvent> events, CancellationToken cancellationToken);
}

/// <summary>Keeps published events in memory (for tests and a node without Kafka). Thread-safe.</summary>
public sealed class InMemoryEventPublisher : IEventPublisher
{
    private readonly ConcurrentQueue<(string Topic, CapturedEvent Event)> _events = new();

    public IReadOnlyList<(string Topic, CapturedEvent Event)> Published => _events.ToArray();

    public Task PublishAsync(string topic, IReadOnlyList<CapturedEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events) _events.Enqueue((topic, e));
        return Task.CompletedTask;
    }
}
