using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>Keyed state of one item in <see cref="ItemModelOperator"/> (MessagePack, contractless).</summary>
public sealed class ItemModelState
{
    public float[]? Factors { get; set; }
    /// <summary>log₂ Σ w·2^(t/h) over popularity increments; −∞ before the first.</summary>
    public double LogPopularity { get; set; } = double.NegativeInfinity;
    /// <summary>The same with the recent popularity's half-life (<see cref="ItemModelOptions.RecentPopularityHalfLifeDays"/>).</summary>
    public double LogRecentPopularity { get; set; } = double.NegativeInfinity;
    public List<string> Neighbours { get; set; } = [];
    /// <summary>log₂ of the forward-decayed co-visitation weights, aligned with <see cref="Neighbours"/>.</summary>
    public List<double> NeighbourLogWeights { get; set; } = [];
    /// <summary>Neighbours added or strengthened since the last published version (each once).</summary>
    public List<string> ChangedNeighbours { get; set; } = [];
    /// <summary>Neighbours dropped from <see cref="Neighbours"/> since the last published version.</summary>
    public List<string> RemovedNeighbours { get; set; } = [];
    /// <summary>Which parts changed since the last published version (<see cref="ItemModelOperator"/> flags).</summary>
    public byte Dirty { get; set; }

    /// <summary>The hash codes of <see cref="Neighbours"/>, aligned (transient: built on first use, never serialised).</summary>
    [IgnoreDataMember]
    private List<int>? _neighbourHashes;

    /// <summary>The position of <paramref name="neighbour"/> in <see cref="Neighbours"/>, or −1: a scan of hash codes, strings compared only where they match.</summary>
    public int IndexOfNeighbour(string neighbour)
    {
        var hashes = NeighbourHashes();
        int hash = neighbour.GetHashCode(StringComparison.Ordinal);
        var span = CollectionsMarshal.AsSpan(hashes);
        for (int from = 0; from < span.Length;)
        {
            int at = span[from..].IndexOf(hash);
            if (at < 0) return -1;
            at += from;
            if (string.Equals(Neighbours[at], neighbour, StringComparison.Ordinal)) return at;
            from = at + 1;
        }
        return -1;
    }

    /// <summary>Appends a neighbour with its log₂ weight.</summary>
    public void AddNeighbour(string neighbour, double logWeight)
    {
        var hashes = NeighbourHashes();
        Neighbours.Add(neighbour);
        NeighbourLogWeights.Add(logWeight);
        hashes.Add(neighbour.GetHashCode(StringComparison.Ordinal));
    }

    /// <summary>Puts <paramref name="neighbour"/> with its log₂ weight in place of the neighbour at <paramref name="at"/>.</summary>
    public void ReplaceNeighbour(int at, string neighbour, double logWeight)
    {
        var hashes = NeighbourHashes();
        Neighbours[at] = neighbour;
        NeighbourLogWeights[at] = logWeight;
        hashes[at] = neighbour.GetHashCode(StringComparison.Ordinal);
    }

    private List<int> NeighbourHashes()
    {
        if (_neighbourHashes is null || _neighbourHashes.Count != Neighbours.Count)
        {
            _neighbourHashes = new List<int>(Math.Max(Neighbours.Count, 4));
            foreach (var n in Neighbours) _neighbourHashes.Add(n.GetHashCode(StringComparison.Ordinal));
        }
        return _neighbourHashes;
    }
}

/// <summary>Operator (non-keyed) state of one <see cref="ItemModelOperator"/> subtask.</summary>
public sealed class ItemTrainerState
{
    /// <summary>This subtask's training copy of the user factors (the scoring tasks fold in their own).</summary>
    public Dictionary<string, float[]> UserFactors { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Event time of each user's latest positive event here (<see cref="UserFactorExpiry"/>).</summary>
    public Dictionary<string, long> UserSeenMs { get; set; } = new(StringComparer.Ordinal);
    public long NextUserSweepMs { get; set; } = long.MinValue;
    /// <summary>Items of this subtask that have factors, in order of first appearance (negative sampling).</summary>
    public List<string> KnownItems { get; set; } = [];
    public List<string> DirtyItems { get; set; } = [];
    public string[] ReplayUsers { get; set; } = [];
    public string[] ReplayItems { get; set; } = [];
    public long ReplayWritten { get; set; }
    public ulong RngState { get; set; }
    public long Version { get; set; }
    public long NextBoundaryMs { get; set; } = long.MinValue;
    /// <summary>The subtask and parallelism this state was written by (−1: before they were recorded): a restore at another parallelism re-divides it (<see cref="ItemTrainerRescale"/>).</summary>
    public int Subtask { get; set; } = -1;
    public int Parallelism { get; set; } = -1;
    public long MaxTimestampMs { get; set; } = long.MinValue;

    /// <summary>Positive interactions of the retraining window, oldest first, from <see cref="WindowStart"/> on (entries before it are dropped, compacted now and then).</summary>
    public List<string> WindowUsers { get; set; } = [];
    public List<string> WindowItems { get; set; } = [];
    public List<long> WindowTimes { get; set; } = [];
    public int WindowStart { get; set; }
    public long NextRefitMs { get; set; } = long.MinValue;
    public long Refits { get; set; }

    /// <summary>With <see cref="ItemModelOptions.EventTimeOrder"/>: the records that wait for the watermark, in arrival order.</summary>
    public List<ItemFeedback> Waiting { get; set; } = [];

    /// <summary>Interactions in the retraining window.</summary>
    public int WindowCount => WindowUsers.Count - WindowStart;
}
