using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Recommendations.Events;
using RecoFlow.Recommendations.Privacy;
using RecoFlow.Recommendations.Push;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Ingest;

/// <summary>
/// Parses and validates raw JSON interactions (schema in docs/events.md). Emits each valid event on the main output;
/// an invalid one goes to <see cref="Rejected"/> with its error (kind, field, message) and is reported as a dead letter.
/// An erasure control event (<c>{"erase_user": KEY, "ts": MS}</c>, see <see cref="ErasureLog"/>) goes to <see cref="Erasures"/>,
/// a push subscription control event (<c>{"push_user": KEY, ...}</c>, see <see cref="PushSubscriptionChange"/>) to
/// <see cref="PushSubscriptions"/> (a malformed one is rejected like an invalid interaction).
/// Stateless.
/// </summary>
public sealed class ValidateInteractions : ProcessFunction<string, Interaction>
{
    public static readonly OutputTag<RejectedEvent> Rejected = new("rejected-interactions");
    public static readonly OutputTag<ErasureRequest> Erasures = new("erasures");
    public static readonly OutputTag<PushSubscriptionChange> PushSubscriptions = new("push-subscriptions");

    private InteractionParser _parser = new();

    public override void Open() => _parser = new InteractionParser();

    public override void ProcessElement(string value, IProcessContext context, ICollector<Interaction> output)
    {
        if (ErasureLog.TryParseControl(value, out var erasure))
        {
            context.Output(Erasures, erasure!);
            return;
        }
        if (PushSubscriptionChange.TryParseControl(value, out var change, out var pushError))
        {
            context.Output(PushSubscriptions, change!);
            return;
        }
        if (pushError is not null)
        {
            Reject(pushError, value, context);
            return;
        }
        var result = _parser.Parse(value);
        if (result.Event is { } e)
        {
            output.Collect(e);
            return;
        }
        Reject(result.Error!.ToString(), value, context);
    }

    private void Reject(string reason, string value, IProcessContext context)
    {
        context.Output(Rejected, new RejectedEvent(reason, value));
        Runtime.DeadLetters.Report(reason, value, context.Timestamp);
        Runtime.Metrics.Increment("rejected");
    }
}
