using System.Diagnostics.Metrics;
using RecoFlow.Server.Metrics;

namespace RecoFlow.Recommendations.Edge.Capture;

/// <summary>
/// The capture path's instrument, <c>recoflow.collect.events</c> (events received on /collect, by outcome), created on
/// the node's meter so the node's /metrics exports it beside the engine's instruments.
/// </summary>
public sealed class CaptureMetrics(NodeMetrics node)
{
    private readonly Counter<long> _collected = node.Meter.CreateCounter<long>("recoflow.collect.events", "{event}", "Events received on /collect, by outcome");

    /// <summary>Counts captured events by outcome (accepted, rejected, no_consent).</summary>
    public void Collected(string outcome, long count)
    {
        if (count > 0) _collected.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
    }
}
