using Akka.Actor;
using Akka.Configuration;

namespace RecoFlow.Runtime.Checkpointing;

/// <summary>Reads a job's checkpoint history from the store, outside a running job (for the CLI and tools).</summary>
public static class CheckpointHistoryReader
{
    public static async Task<IReadOnlyList<CheckpointRecord>> ReadAsync(Config config, string jobKey, CancellationToken cancel = default)
    {
        var system = ActorSystem.Create("recoflow-history", config);
        try
        {
            var store = system.ActorOf(CheckpointStoreActor.Props(jobKey, int.MaxValue, TimeSpan.FromSeconds(30)), "checkpoints");
            var history = await store.Ask<CheckpointHistory>(new GetHistory(), TimeSpan.FromSeconds(60), cancel);
            return history.Records;
        }
        finally
        {
            await system.Terminate();
        }
    }
}
