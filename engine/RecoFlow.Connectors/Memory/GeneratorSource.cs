using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Memory;

/// <summary>
/// A source that generates records from their sequence number: <c>generate(n)</c> for n in [0, count), or forever when
/// <c>count</c> is null. Split i of k generates the numbers congruent to i mod k; position = how many it has emitted.
/// Optionally paced to a rate (records per second, over all splits).
/// </summary>
public sealed class GeneratorSource<T>(Func<long, T> generate, long? count, int splits = 1, double? ratePerSecond = null, Func<T, long>? timestamp = null) : ISource<T>
{
    private Func<long, T> Generate { get; } = generate;
    private long? Count { get; } = count;
    private double? RatePerSecond { get; } = ratePerSecond;
    private Func<T, long>? Timestamp { get; } = timestamp;

    public Boundedness Boundedness => Count is null ? Boundedness.Unbounded : Boundedness.Bounded;

    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) =>
        Enumerable.Range(0, splits).Select(i => new SourceSplit($"gen-{i}", 0, $"{i}:{splits}")).ToList();

    public ISourceReader<T> CreateReader(SourceContext context) => new Reader(this);

    public string Describe() => $"generator of {(Count is null ? "unbounded" : Count.ToString())} {typeof(T).Name}{(RatePerSecond is null ? "" : $" at {RatePerSecond}/s")}";

    private sealed class Reader(GeneratorSource<T> source) : ISourceReader<T>
    {
        private readonly List<(SourceSplit Split, int Index, int Of, long Emitted)> _splits = [];
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private long _emittedSinceStart;

        public void AddSplits(IReadOnlyList<SourceSplit> splits)
        {
            foreach (var s in splits)
            {
                var p = s.Descriptor!.Split(':');
                _splits.Add((s, int.Parse(p[0]), int.Parse(p[1]), s.Position));
            }
        }

        public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
        {
            var budget = maxRecords;
            if (source.RatePerSecond is { } rate && _splits.Count > 0)
            {
                var readerRate = rate * _splits.Count / _splits[0].Of;
                var allowed = (long)(_clock.Elapsed.TotalSeconds * readerRate) - _emittedSinceStart;
                if (allowed <= 0) return PollStatus.NothingAvailable;
                budget = (int)Math.Min(budget, allowed);
            }
            var any = false;
            for (var i = 0; i < _splits.Count && budget > 0; i++)
            {
                var (split, index, of, emitted) = _splits[i];
                var perSplit = Math.Max(1, budget / (_splits.Count - i));
                for (var n = 0; n < perSplit; n++)
                {
                    var seq = emitted * of + index;
                    if (source.Count is { } c && seq >= c) break;
                    var value = source.Generate(seq);
                    output.Collect(split.SplitId, value, source.Timestamp is null ? Api.Time.Watermark.NoTimestamp : source.Timestamp(value));
                    emitted++;
                    budget--;
                    _emittedSinceStart++;
                    any = true;
                }
                _splits[i] = (split, index, of, emitted);
                if (source.Count is { } cc && emitted * of + index >= cc) output.SplitFinished(split.SplitId);
            }
            if (source.Count is { } total && _splits.All(s => s.Emitted * s.Of + s.Index >= total)) return PollStatus.EndOfInput;
            return any ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
        }

        public IReadOnlyList<SourceSplit> SnapshotSplits() => _splits.Select(s => s.Split with { Position = s.Emitted }).ToList();
        public void Dispose() { }
    }
}
