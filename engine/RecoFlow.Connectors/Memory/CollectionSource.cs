using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Memory;

/// <summary>
/// A bounded source over an in-memory list, split into <c>splits</c> contiguous ranges (one per source subtask at most).
/// Position = index of the next element of the split, so a checkpointed run resumes exactly.
/// </summary>
public sealed class CollectionSource<T> : ISource<T>
{
    private readonly IReadOnlyList<T> _items;
    private readonly Func<T, long>? _timestamp;
    private readonly int _splits;

    /// <param name="timestamp">Source timestamp of an element; null: none (assign one with the watermark strategy).</param>
    public CollectionSource(IReadOnlyList<T> items, Func<T, long>? timestamp = null, int splits = 1)
    {
        _items = items ?? throw new ArgumentNullException(nameof(items));
        _timestamp = timestamp;
        if (splits < 1) throw new ArgumentOutOfRangeException(nameof(splits), "at least one split");
        _splits = splits;
    }

    public Boundedness Boundedness => Boundedness.Bounded;

    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) =>
        Enumerable.Range(0, _splits).Select(i => new SourceSplit($"range-{i}", 0, $"{(long)_items.Count * i / _splits}:{(long)_items.Count * (i + 1) / _splits}")).ToList();

    public ISourceReader<T> CreateReader(SourceContext context) => new Reader(this);

    public string Describe() => $"collection of {_items.Count} {typeof(T).Name} in {_splits} split(s)";

    private sealed class Reader(CollectionSource<T> source) : ISourceReader<T>
    {
        private readonly List<(SourceSplit Split, int Start, int End, long Position)> _splits = [];
        private int _current;

        public void AddSplits(IReadOnlyList<SourceSplit> splits)
        {
            foreach (var s in splits)
            {
                var parts = s.Descriptor!.Split(':');
                _splits.Add((s, int.Parse(parts[0]), int.Parse(parts[1]), s.Position));
            }
        }

        public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
        {
            var emitted = 0;
            while (_current < _splits.Count)
            {
                var (split, start, end, pos) = _splits[_current];
                while (emitted < maxRecords && start + pos < end)
                {
                    var item = source._items[(int)(start + pos)];
                    output.Collect(split.SplitId, item, source._timestamp is null ? Api.Time.Watermark.NoTimestamp : source._timestamp(item));
                    pos++;
                    emitted++;
                }
                _splits[_current] = (split, start, end, pos);
                if (start + pos < end) return PollStatus.MoreAvailable;
                output.SplitFinished(split.SplitId);
                _current++;
            }
            return PollStatus.EndOfInput;
        }

        public IReadOnlyList<SourceSplit> SnapshotSplits() => _splits.Select(s => s.Split with { Position = s.Position }).ToList();

        public void Dispose() { }
    }
}
