using RecoFlow.Recommendations.Streaming.Records;

namespace RecoFlow.Recommendations.Streaming.Scoring;

/// <summary>
/// Applies a neighbour change (<see cref="ItemEntry.NeighbourRemovals"/>, then <see cref="ItemEntry.NeighbourUpdates"/>)
/// to an item's list in a <see cref="ModelStore"/>, keeping it strongest first, and undoes it exactly. Each step moves
/// one neighbour: out of its position (or from nowhere, when new) and into its new sorted position (or nowhere, when
/// removed); the undo log records the steps, and undoing runs them backwards. The list's arrays are rewritten in place
/// when its length does not change, so a version costs in proportion to the links it changed.
/// </summary>
internal static class NeighbourSteps
{
    // One scoring subtask runs on one thread at a time; the buffers only live within one call.
    [ThreadStatic] private static List<int>? t_ids;
    [ThreadStatic] private static List<double>? t_weights;
    [ThreadStatic] private static List<int>? t_steps, t_from, t_to;
    [ThreadStatic] private static List<double>? t_old, t_new;

    public static void Apply(ModelStore store, int item, ItemEntry e, UndoEntry undo)
    {
        // The weights first: converting one may rebase every list of the store, which must happen before this one is copied.
        var updated = t_new ??= [];
        updated.Clear();
        if (e.NeighbourUpdates is not null)
            foreach (double lw in e.NeighbourUpdateLogWeights!) updated.Add(store.NeighbourWeight(lw));
        var (ids, ws) = Load(store, item);
        var steps = t_steps ??= [];
        var from = t_from ??= [];
        var to = t_to ??= [];
        var old = t_old ??= [];
        steps.Clear();
        from.Clear();
        to.Clear();
        old.Clear();
        if (e.NeighbourRemovals is { } removals)
        {
            foreach (var id in removals)
            {
                int n = store.IndexOf(id);
                int at = n < 0 ? -1 : ids.IndexOf(n);
                if (at < 0) continue;
                steps.Add(n);
                from.Add(at);
                to.Add(-1);
                old.Add(ws[at]);
                ids.RemoveAt(at);
                ws.RemoveAt(at);
            }
        }
        if (e.NeighbourUpdates is { } updates)
        {
            for (int j = 0; j < updates.Length; j++)
            {
                int n = store.IndexOrAdd(updates[j]);
                double w = updated[j];
                int at = ids.IndexOf(n);
                double was = 0;
                if (at >= 0)
                {
                    was = ws[at];
                    ids.RemoveAt(at);
                    ws.RemoveAt(at);
                }
                int q = InsertAt(ws, w);
                ids.Insert(q, n);
                ws.Insert(q, w);
                steps.Add(n);
                from.Add(at);
                to.Add(q);
                old.Add(was);
            }
        }
        Store(store, item, ids, ws);
        undo.NeighbourSteps = [.. steps];
        undo.StepFrom = [.. from];
        undo.StepTo = [.. to];
        undo.StepWeights = [.. old];
    }

    public static void Undo(ModelStore store, UndoEntry u)
    {
        var (ids, ws) = Load(store, u.Index);
        for (int s = u.NeighbourSteps!.Length - 1; s >= 0; s--)
        {
            if (u.StepTo![s] >= 0)
            {
                ids.RemoveAt(u.StepTo[s]);
                ws.RemoveAt(u.StepTo[s]);
            }
            if (u.StepFrom![s] >= 0)
            {
                ids.Insert(u.StepFrom[s], u.NeighbourSteps[s]);
                ws.Insert(u.StepFrom[s], u.StepWeights![s]);
            }
        }
        Store(store, u.Index, ids, ws);
    }

    /// <summary>After every neighbour at least as strong (a new link ranks below equal older ones).</summary>
    private static int InsertAt(List<double> ws, double w)
    {
        int lo = 0, hi = ws.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ws[mid] >= w) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static (List<int> Ids, List<double> Weights) Load(ModelStore store, int item)
    {
        var ids = t_ids ??= [];
        var ws = t_weights ??= [];
        ids.Clear();
        ws.Clear();
        ids.AddRange(store.NeighbourIndex[item]);
        ws.AddRange(store.NeighbourWeights[item]);
        return (ids, ws);
    }

    private static void Store(ModelStore store, int item, List<int> ids, List<double> ws)
    {
        int[] a = store.NeighbourIndex[item];
        double[] b = store.NeighbourWeights[item];
        if (a.Length != ids.Count)
        {
            a = new int[ids.Count];
            b = new double[ids.Count];
            store.NeighbourIndex[item] = a;
            store.NeighbourWeights[item] = b;
        }
        ids.CopyTo(a);
        ws.CopyTo(b);
    }
}
