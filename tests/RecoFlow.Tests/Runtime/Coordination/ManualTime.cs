namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>A clock that moves only when told to: the coordinator tests decide time instead of waiting for it.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
