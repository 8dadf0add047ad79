using System.Text;
using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// Follows one text file as it grows (<c>tail -f</c>): every complete line (ended by a newline) is parsed and emitted,
/// also those appended while the job runs; a line still being written waits for its newline. The file need not exist
/// yet. Unbounded: the source never ends on its own. Position = bytes of complete lines consumed, so a checkpointed
/// run resumes after the last line it read. A line that <c>parse</c> rejects goes to the dead letters. Truncating
/// or replacing the file is not supported (reading goes on at the old position).
/// </summary>
public sealed class TailingLineFileSource<T>(string path, Func<string, T> parse, string format = "lines") : ISource<T>
{
    private readonly string _path = path ?? throw new ArgumentNullException(nameof(path));
    private readonly Func<string, T> _parse = parse ?? throw new ArgumentNullException(nameof(parse));

    public Boundedness Boundedness => Boundedness.Unbounded;

    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) => [new SourceSplit(Path.GetFullPath(_path), 0, Path.GetFullPath(_path))];

    public ISourceReader<T> CreateReader(SourceContext context) => new Reader(this, context.DeadLetters);

    public string Describe() => $"{format} file {_path} (followed)";

    private sealed class Reader(TailingLineFileSource<T> source, IDeadLetterOutput deadLetters) : ISourceReader<T>
    {
        private SourceSplit? _split;
        private FileStream? _stream;
        private long _position;
        private byte[] _buffer = new byte[1 << 12];
        private int _start, _end;

        public void AddSplits(IReadOnlyList<SourceSplit> splits)
        {
            foreach (var s in splits)
            {
                if (_split is not null) throw new InvalidOperationException("a followed file is one split");
                _split = s;
                _position = s.Position;
            }
        }

        public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
        {
            if (_split is null) return PollStatus.NothingAvailable;
            if (_stream is null)
            {
                if (!File.Exists(_split.Descriptor)) return PollStatus.NothingAvailable;
                _stream = new FileStream(_split.Descriptor!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                _stream.Seek(_position, SeekOrigin.Begin);
                _start = _end = 0;
            }
            int emitted = 0;
            while (emitted < maxRecords)
            {
                int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (nl < 0)
                {
                    if (_start > 0)
                    {
                        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                        _end -= _start;
                        _start = 0;
                    }
                    if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
                    int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
                    if (n == 0) break;
                    _end += n;
                    continue;
                }
                long at = _position;
                string text = Encoding.UTF8.GetString(_buffer, _start, nl - _start).TrimEnd('\r');
                _position += nl - _start + 1;
                _start = nl + 1;
                if (string.IsNullOrWhiteSpace(text)) continue;
                T value;
                try
                {
                    value = source._parse(text);
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException or OverflowException or KeyNotFoundException)
                {
                    deadLetters.Report($"{_split.SplitId}@{at}: {e.Message}", text, Api.Time.Watermark.NoTimestamp);
                    continue;
                }
                output.Collect(_split.SplitId, value, Api.Time.Watermark.NoTimestamp);
                emitted++;
            }
            return emitted > 0 ? PollStatus.MoreAvailable : PollStatus.NothingAvailable;
        }

        public IReadOnlyList<SourceSplit> SnapshotSplits() => _split is null ? [] : [_split with { Position = _position }];

        public void Dispose() => _stream?.Dispose();
    }
}
