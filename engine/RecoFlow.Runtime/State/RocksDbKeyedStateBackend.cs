using RecoFlow.Api.Operators;
using RecoFlow.Runtime.KeyGroups;
using RocksDbSharp;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Keyed state in an embedded RocksDB for one subtask (Flink: EmbeddedRocksDBStateBackend), for state larger than
/// memory: each state's entries are rows keyed by key group, state and record key (<see cref="RocksDbEntryMap{TKey, TValue}"/>).
/// The database is working storage only, opened empty in the directory given and deleted on
/// <see cref="Dispose"/>; checkpoints are the same <see cref="KeyedStateSnapshot"/>s as the heap backend's (full, or
/// the changed keys per key group), so incremental chains, savepoints and rescaling work alike and a job can switch
/// backend through a savepoint. Timers stay on the heap (as Flink's <c>timer-service.factory: HEAP</c>).
/// </summary>
public sealed class RocksDbKeyedStateBackend<TKey> : KeyedStateBackend<TKey> where TKey : notnull
{
    private readonly string _directory;
    private int _nextStateId;
    private bool _disposed;

    public RocksDbKeyedStateBackend(KeyGroupRange keyGroups, int maxParallelism, IProcessingTimeService processingTime, string directory)
        : base(keyGroups, maxParallelism, processingTime)
    {
        _directory = directory;
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        // No write-ahead log: the database is rebuilt from the checkpoint after a failure, never reopened.
        WriteOptions = new WriteOptions().DisableWal(1);
        // Point lookups dominate (every key touched is read first, most of them absent at first): a bloom filter per
        // SST file spares reading files that cannot hold the key; two background jobs for flushes and compactions.
        var table = new BlockBasedTableOptions()
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false))
            .SetBlockCache(Cache.CreateLru(64UL << 20))
            .SetWholeKeyFiltering(true);
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetBlockBasedTableFactory(table)
            .SetWriteBufferSize(64UL << 20)
            .SetMaxWriteBufferNumber(3)
            .SetLevelCompactionDynamicLevelBytes(true)
            .IncreaseParallelism(2);
        Db = RocksDb.Open(options, directory);
    }

    /// <summary>The database's directory (working storage).</summary>
    internal string DirectoryPath => _directory;

    internal RocksDb Db { get; }
    internal WriteOptions WriteOptions { get; }

    internal override IEntryMap<TKey, TValue> CreateMap<TValue>(string stateName)
    {
        if (_nextStateId > ushort.MaxValue) throw new InvalidOperationException($"too many keyed states for one operator (state '{stateName}')");
        return new RocksDbEntryMap<TKey, TValue>(this, _nextStateId++);
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Db.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { } // working storage: a leftover is removed when the next backend opens the same directory
    }
}
