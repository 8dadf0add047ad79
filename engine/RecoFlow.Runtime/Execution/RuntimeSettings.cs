using Akka.Configuration;

namespace RecoFlow.Runtime.Execution;

/// <summary>Runtime settings read from <c>recoflow.runtime</c> (defaults in the embedded reference.conf).</summary>
public sealed record RuntimeSettings(int BatchSize, int ChannelCredits, TimeSpan IdlePollInterval, int MaxParallelism, int DeadLettersKept)
{
    /// <summary>The embedded reference.conf: the one place defaults live.</summary>
    public static Config ReferenceConfig { get; } = EmbeddedResources.ReadConfig(typeof(RuntimeSettings).Assembly, "RecoFlow.Runtime.reference.conf");

    /// <summary>
    /// Records a source task reads per processing step (<c>poll-size</c>): each step ends with the source's watermark
    /// and the task's flush. Settings built with the constructor get reference.conf's value (a step of no records
    /// would never read).
    /// </summary>
    public int PollSize { get; init; } = ReferenceConfig.GetInt("recoflow.runtime.poll-size");

    public static RuntimeSettings Default { get; } = From(ReferenceConfig);

    public static RuntimeSettings From(Config config)
    {
        var c = (ReferenceEquals(config, ReferenceConfig) ? config : config.WithFallback(ReferenceConfig)).GetConfig("recoflow.runtime");
        var s = new RuntimeSettings(
            c.GetInt("batch-size"), c.GetInt("channel-credits"), c.GetTimeSpan("idle-poll-interval"), c.GetInt("max-parallelism"), c.GetInt("dead-letters-kept"))
        {
            PollSize = c.GetInt("poll-size"),
        };
        if (s.BatchSize < 1) throw new ArgumentException("recoflow.runtime.batch-size must be at least 1");
        if (s.PollSize < 1) throw new ArgumentException("recoflow.runtime.poll-size must be at least 1");
        if (s.ChannelCredits < 1) throw new ArgumentException("recoflow.runtime.channel-credits must be at least 1");
        return s;
    }
}
