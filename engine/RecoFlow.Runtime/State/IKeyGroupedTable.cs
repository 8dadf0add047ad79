namespace RecoFlow.Runtime.State;

/// <summary>
/// What a keyed backend snapshots and restores per key group, for its state tables and its timer tables alike: full
/// snapshots, the changes since the last one (incremental checkpoints), and the removal of a key (erasure).
/// </summary>
internal interface IKeyGroupedTable<TKey> where TKey : notnull
{
    void RemoveKey(TKey key);
    IEnumerable<(int KeyGroup, byte[] Bytes)> Snapshot(Func<TKey, int> keyGroupOf);
    void Restore(byte[] bytes);

    /// <summary>False when more entries changed since the last snapshot than are tracked one by one (then a full snapshot is due).</summary>
    bool CanSnapshotChanges { get; }

    /// <summary>Per key group, the entries written (serialised as in <see cref="Snapshot"/>) and the entries removed since the last snapshot.</summary>
    IEnumerable<(int KeyGroup, byte[]? Upserts, byte[]? Deletions)> SnapshotChanges(Func<TKey, int> keyGroupOf);

    /// <summary>Removes the entries of a delta's deletion list.</summary>
    void ApplyDeletions(byte[] bytes);

    /// <summary>Forgets the changes tracked so far (a snapshot was taken).</summary>
    void ResetChanges();
}
