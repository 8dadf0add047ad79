using RecoFlow.Api.Operators;
using RecoFlow.Runtime.KeyGroups;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Keyed state on the heap for one subtask (Flink: HashMapStateBackend): every state is a dictionary keyed by the
/// record key. The default backend; <see cref="RocksDbKeyedStateBackend{TKey}"/> keeps state larger than memory.
/// </summary>
public sealed class HeapKeyedStateBackend<TKey>(KeyGroupRange keyGroups, int maxParallelism, IProcessingTimeService processingTime)
    : KeyedStateBackend<TKey>(keyGroups, maxParallelism, processingTime) where TKey : notnull
{
    internal override IEntryMap<TKey, TValue> CreateMap<TValue>(string stateName) => new HeapEntryMap<TKey, TValue>();
}
