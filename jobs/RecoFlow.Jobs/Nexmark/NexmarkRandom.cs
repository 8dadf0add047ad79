namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// The random stream of one event: SplitMix64 started from (seed, event number), so that every event can be generated
/// on its own, in any order and on any split (Flink's generator seeds a <c>java.util.Random</c> with the event id for
/// the same reason). A mutable struct: pass it by <c>ref</c>.
/// </summary>
internal struct NexmarkRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    public NexmarkRandom(long seed, long eventNumber) => _state = Mix(Mix((ulong)seed) + (ulong)eventNumber);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong() => Mix(_state += Gamma);

    /// <summary>Uniform in [0, bound) (multiply-shift; the bias is below 2^-32 for any int bound).</summary>
    public int NextInt(int bound) => (int)(((NextULong() >> 32) * (ulong)bound) >> 32);

    /// <summary>Uniform in [0, bound), bound ≥ 1.</summary>
    public long NextLong(long bound) => (long)(NextULong() % (ulong)bound);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));
}
