namespace RecoFlow.Connectors.Http;

/// <summary>Settings of a <see cref="WebhookSink{T}"/>.</summary>
/// <param name="MaxAttempts">Tries per record (the first included) before it goes to the dead letters.</param>
/// <param name="InitialBackoff">Wait before the first retry; doubled per retry (±20 % jitter) up to <paramref name="MaxBackoff"/>. A 429's or 503's Retry-After is honoured within the same cap.</param>
/// <param name="MaxInFlight">Requests a subtask has open at once; a full window makes the sink wait (backpressure).</param>
/// <param name="Timeout">Per request.</param>
public sealed record WebhookOptions(
    int MaxAttempts = 5,
    TimeSpan? InitialBackoff = null,
    TimeSpan? MaxBackoff = null,
    int MaxInFlight = 8,
    TimeSpan? Timeout = null)
{
    public TimeSpan EffectiveInitialBackoff => InitialBackoff ?? TimeSpan.FromMilliseconds(200);
    public TimeSpan EffectiveMaxBackoff => MaxBackoff ?? TimeSpan.FromSeconds(30);
    public TimeSpan EffectiveTimeout => Timeout ?? TimeSpan.FromSeconds(10);

    public void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), "at least one attempt");
        if (MaxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(MaxInFlight), "at least one request in flight");
        if (EffectiveInitialBackoff < TimeSpan.Zero || EffectiveMaxBackoff < EffectiveInitialBackoff)
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), "backoffs must be non-negative, the maximum at least the initial");
        if (EffectiveTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), "must be positive");
    }
}
