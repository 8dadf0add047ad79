using RecoFlow.Api;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>The Nexmark queries as jobs, for the CLI's job list.</summary>
public static class NexmarkJobs
{
    public static IReadOnlyList<IJobDefinition> All { get; } =
    [
        new Q0PassThrough(),
        new Q1CurrencyConversion(),
        new Q2Selection(),
        new Q5HotItems(),
        new Q7HighestBid(),
        new Q8MonitorNewUsers(),
    ];
}
