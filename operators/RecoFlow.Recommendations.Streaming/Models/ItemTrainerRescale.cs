namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>
/// Re-divides the item model's per-subtask trainer state (<see cref="ItemTrainerState"/>) when the job restores at
/// another parallelism. The state is union list state, so every new subtask receives the elements of all old subtasks
/// and keeps what concerns its own items (the item keys in its key-group range): the records waiting
/// for the watermark, the items to publish, the negative-sampling pool, the replay buffer and the retraining window.
/// The user factors are a training copy on every subtask: the new subtask takes every user's latest copy. Versions and
/// times continue from the furthest old subtask, the next publish and refit boundaries from the earliest, so nothing
/// waiting is cut late and no version number repeats.
/// </summary>
public static class ItemTrainerRescale
{
    /// <summary>True when <paramref name="restored"/> is this subtask's own state at an unchanged parallelism (nothing to re-divide).</summary>
    public static bool IsOwn(IReadOnlyList<ItemTrainerState> restored, int subtask, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(restored);
        return restored.Count == 1 && restored[0].Subtask == subtask && restored[0].Parallelism == parallelism;
    }

    /// <summary>One trainer state for subtask <paramref name="subtask"/> of <paramref name="parallelism"/> from the old subtasks' states.</summary>
    /// <param name="isLocal">Whether an item is this subtask's (its key group is in the subtask's range).</param>
    /// <param name="replayBuffer">The length of the replay ring.</param>
    /// <param name="seed">The job's seed: the new subtask's random numbers start from it, the subtask and the version.</param>
    public static ItemTrainerState Merge(IReadOnlyList<ItemTrainerState> restored, Func<string, bool> isLocal, int subtask, int parallelism, int replayBuffer, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(restored);
        ArgumentNullException.ThrowIfNull(isLocal);
        var merged = new ItemTrainerState
        {
            Subtask = subtask,
            Parallelism = parallelism,
            ReplayUsers = new string[Math.Max(1, replayBuffer)],
            ReplayItems = new string[Math.Max(1, replayBuffer)],
        };
        var known = new HashSet<string>(StringComparer.Ordinal);
        var dirty = new HashSet<string>(StringComparer.Ordinal);
        var replay = new List<(string User, string Item)>();
        var window = new List<(long Time, string User, string Item)>();
        foreach (var old in restored)
        {
            foreach (var (user, factors) in old.UserFactors)
            {
                long seen = old.UserSeenMs.GetValueOrDefault(user, long.MinValue);
                if (!merged.UserFactors.ContainsKey(user) || seen > merged.UserSeenMs.GetValueOrDefault(user, long.MinValue))
                {
                    merged.UserFactors[user] = factors;
                    if (seen != long.MinValue) merged.UserSeenMs[user] = seen;
                }
            }
            foreach (var item in old.KnownItems) if (isLocal(item) && known.Add(item)) merged.KnownItems.Add(item);
            foreach (var item in old.DirtyItems) if (isLocal(item) && dirty.Add(item)) merged.DirtyItems.Add(item);
            foreach (var f in old.Waiting) if (isLocal(f.ItemId)) merged.Waiting.Add(f);
            int length = old.ReplayUsers.Length;
            long filled = Math.Min(old.ReplayWritten, length);
            for (long k = old.ReplayWritten - filled; k < old.ReplayWritten; k++)
            {
                int slot = (int)(k % length);
                if (old.ReplayItems[slot] is { } item && isLocal(item)) replay.Add((old.ReplayUsers[slot], item));
            }
            for (int j = old.WindowStart; j < old.WindowUsers.Count; j++)
                if (isLocal(old.WindowItems[j])) window.Add((old.WindowTimes[j], old.WindowUsers[j], old.WindowItems[j]));
            merged.Version = Math.Max(merged.Version, old.Version);
            merged.MaxTimestampMs = Math.Max(merged.MaxTimestampMs, old.MaxTimestampMs);
            merged.Refits = Math.Max(merged.Refits, old.Refits);
            merged.NextBoundaryMs = Earliest(merged.NextBoundaryMs, old.NextBoundaryMs);
            merged.NextRefitMs = Earliest(merged.NextRefitMs, old.NextRefitMs);
            merged.NextUserSweepMs = Earliest(merged.NextUserSweepMs, old.NextUserSweepMs);
        }
        foreach (var (user, item) in replay.Skip(Math.Max(0, replay.Count - merged.ReplayUsers.Length)))
        {
            int w = (int)(merged.ReplayWritten % merged.ReplayUsers.Length);
            merged.ReplayUsers[w] = user;
            merged.ReplayItems[w] = item;
            merged.ReplayWritten++;
        }
        foreach (var (time, user, item) in window.OrderBy(w => w.Time))
        {
            merged.WindowTimes.Add(time);
            merged.WindowUsers.Add(user);
            merged.WindowItems.Add(item);
        }
        merged.RngState = seed ^ (ulong)subtask ^ ((ulong)merged.Version << 32);
        return merged;
    }

    /// <summary>The earlier of two boundaries, where <see cref="long.MinValue"/> means not set yet.</summary>
    private static long Earliest(long a, long b) => a == long.MinValue ? b : b == long.MinValue ? a : Math.Min(a, b);
}
