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

    /// <summary>
    /// Adds <paramref name="logWeight"/> (log₂ domain) to the link with <paramref name="other"/>, or links it, in place of
    /// the weakest neighbour when the list holds <paramref name="maxNeighbours"/> already; false when every neighbour is
    /// stronger and the list stays unchanged. What changed is noted for the next version (<see cref="PublishNeighbours"/>).
    /// </summary>
    public bool Link(string other, double logWeight, int maxNeighbours)
    {
        int at = IndexOfNeighbour(other);
        if (at >= 0)
        {
            NeighbourLogWeights[at] = LogDecay.Add(NeighbourLogWeights[at], logWeight);
            Changed(other);
            return true;
        }
        if (Neighbours.Count < maxNeighbours)
        {
            AddNeighbour(other, logWeight);
            Changed(other);
            return true;
        }
        int min = 0;
        for (int j = 1; j < NeighbourLogWeights.Count; j++)
            if (NeighbourLogWeights[j] < NeighbourLogWeights[min]) min = j;
        if (logWeight <= NeighbourLogWeights[min]) return false;
        RemovedNeighbours.Add(Neighbours[min]);
        ReplaceNeighbour(min, other, logWeight);
        Changed(other);
        return true;
    }

    /// <summary>Notes a neighbour whose weight the next version publishes (the list is short: a user links to at most a few items per event).</summary>
    private void Changed(string neighbour)
    {
        if (!ChangedNeighbours.Contains(neighbour)) ChangedNeighbours.Add(neighbour);
    }

    /// <summary>
    /// Writes the item's neighbour part of a version into <paramref name="entry"/>: the change since its previous
    /// version (removals, then the neighbours added or strengthened with their weights now), or the whole list for
    /// state written before changes were noted; then starts noting afresh.
    /// </summary>
    public void PublishNeighbours(ItemEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (ChangedNeighbours.Count == 0 && RemovedNeighbours.Count == 0)
        {
            entry.Neighbours = [.. Neighbours];
            entry.NeighbourLogWeights = [.. NeighbourLogWeights];
            return;
        }
        int present = 0;
        var changed = ChangedNeighbours;
        // The changed neighbours' positions: on the stack for the lists a version usually carries.
        Span<int> at = changed.Count <= 128 ? stackalloc int[128] : new int[changed.Count];
        at = at[..changed.Count];
        for (int j = 0; j < changed.Count; j++)
        {
            at[j] = IndexOfNeighbour(changed[j]);
            if (at[j] >= 0) present++;
        }
        var ids = new string[present];
        var ws = new double[present];
        for (int j = 0, n = 0; j < changed.Count; j++)
        {
            if (at[j] < 0) continue;
            ids[n] = changed[j];
            ws[n++] = NeighbourLogWeights[at[j]];
        }
        entry.NeighbourUpdates = ids;
        entry.NeighbourUpdateLogWeights = ws;
        if (RemovedNeighbours.Count > 0) entry.NeighbourRemovals = [.. RemovedNeighbours];
        changed.Clear();
        RemovedNeighbours.Clear();
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
