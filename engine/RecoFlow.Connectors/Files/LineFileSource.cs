using RecoFlow.Api.Connectors;
using RecoFlow.Api.Operators;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// Reads text files line by line, one split per file (Flink: FileSource with a line format). Position = lines consumed,
/// so a checkpointed run resumes at the exact line. Files are UTF-8 (a byte order mark is skipped), lines end with \n
/// or \r\n. A line that is not UTF-8, is longer than <see cref="MaxLineBytes"/>, or that <c>parse</c> rejects (throws)
/// goes to the dead letters with the file, the line number and the reason; the source goes on. With
/// <see cref="Continues"/>, a record may span several lines (CSV: a line break inside quotes): the lines are joined with
/// \n until it says the record is complete; the position still counts lines, and a checkpoint always falls between
/// records. A record still open at the end of its file is dead-lettered as unterminated.
/// </summary>
public class LineFileSource<T> : ISource<T>
{
    private readonly IReadOnlyList<string> _paths;
    private readonly Func<string, T> _parse;
    private readonly int _skipHeaderLines;
    private readonly string _format;

    public LineFileSource(IReadOnlyList<string> paths, Func<string, T> parse, int skipHeaderLines = 0, string format = "lines", Func<string, bool>? continues = null)
    {
        Continues = continues;
        if (paths.Count == 0) throw new ArgumentException("at least one file", nameof(paths));
        foreach (var p in paths)
            if (!File.Exists(p)) throw new FileNotFoundException($"input file not found: {p}", p);
        _paths = paths;
        _parse = parse ?? throw new ArgumentNullException(nameof(parse));
        _skipHeaderLines = skipHeaderLines;
        _format = format;
    }

    /// <summary>Longest line read, in bytes; a longer one is skipped (never buffered whole) and dead-lettered. Also the bound of a record joined from several lines.</summary>
    public int MaxLineBytes { get; init; } = 16 << 20;

    /// <summary>True when the text read so far is an incomplete record that the next line continues; null: one record per line.</summary>
    public Func<string, bool>? Continues { get; }

    public Boundedness Boundedness => Boundedness.Bounded;

    public IReadOnlyList<SourceSplit> CreateSplits(SourceContext context) =>
        _paths.Select(p => new SourceSplit(Path.GetFullPath(p), 0, Path.GetFullPath(p))).ToList();

    public ISourceReader<T> CreateReader(SourceContext context) => new Reader(this, context.DeadLetters);

    public string Describe() => $"{_format} file(s) {string.Join(", ", _paths)}";

    private sealed class Reader(LineFileSource<T> source, IDeadLetterOutput deadLetters) : ISourceReader<T>
    {
        private readonly Queue<SourceSplit> _queue = new();
        private readonly List<SourceSplit> _finished = [];
        private SourceSplit? _current;
        private Utf8LineReader? _reader;
        private long _line;

        public void AddSplits(IReadOnlyList<SourceSplit> splits)
        {
            foreach (var s in splits) _queue.Enqueue(s);
        }

        public PollStatus Poll(ISourceOutput<T> output, int maxRecords)
        {
            var emitted = 0;
            while (emitted < maxRecords)
            {
                if (_reader is null && !OpenNext()) return PollStatus.EndOfInput;
                if (!_reader!.ReadLine(out var text, out var unusable))
                {
                    output.SplitFinished(_current!.SplitId);
                    _finished.Add(_current with { Position = _line });
                    _reader.Dispose();
                    _reader = null;
                    _current = null;
                    continue;
                }
                _line++;
                if (_line <= source._skipHeaderLines || text.Length == 0 && unusable is null) continue;
                long first = _line;
                if (unusable is null && source.Continues is { } continues && continues(text))
                    (text, unusable) = JoinContinuation(text, continues);
                string where = first == _line ? $"{_current!.SplitId}:{_line}" : $"{_current!.SplitId}:{first}-{_line}";
                if (unusable is not null)
                {
                    deadLetters.Report($"{where}: {unusable}", text, Api.Time.Watermark.NoTimestamp);
                    continue;
                }
                T value;
                try
                {
                    value = source._parse(text);
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException or OverflowException or KeyNotFoundException)
                {
                    deadLetters.Report($"{where}: {e.Message}", text, Api.Time.Watermark.NoTimestamp);
                    continue;
                }
                output.Collect(_current!.SplitId, value, Api.Time.Watermark.NoTimestamp);
                emitted++;
            }
            return PollStatus.MoreAvailable;
        }

        /// <summary>Appends the following lines to <paramref name="text"/> while <paramref name="continues"/> says the record is open.</summary>
        private (string Text, string? Unusable) JoinContinuation(string text, Func<string, bool> continues)
        {
            var record = new System.Text.StringBuilder(text);
            while (continues(record.ToString()))
            {
                if (!_reader!.ReadLine(out var next, out var unusable))
                    return (record.ToString(), "unterminated record: the file ends inside a quoted field");
                _line++;
                if (unusable is not null) return (record.ToString(), unusable);
                record.Append('\n').Append(next);
                if (record.Length > source.MaxLineBytes)
                    return (record.ToString(0, Math.Min(record.Length, 1024)), $"record longer than {source.MaxLineBytes} bytes");
            }
            return (record.ToString(), null);
        }

        private bool OpenNext()
        {
            if (!_queue.TryDequeue(out var split)) return false;
            _current = split;
            _reader = new Utf8LineReader(new FileStream(split.Descriptor!, new FileStreamOptions { BufferSize = 0, Options = FileOptions.SequentialScan }), source.MaxLineBytes);
            _line = 0;
            while (_line < split.Position && _reader.ReadLine(out _, out _)) _line++;
            return true;
        }

        public IReadOnlyList<SourceSplit> SnapshotSplits()
        {
            var list = new List<SourceSplit>(_finished);
            if (_current is not null) list.Add(_current with { Position = _line });
            list.AddRange(_queue);
            return list;
        }

        public void Dispose() => _reader?.Dispose();
    }
}

/// <summary>JSON Lines files: one JSON value per line.</summary>
public sealed class JsonLinesFileSource<T>(IReadOnlyList<string> paths, Func<string, T>? parse = null)
    : LineFileSource<T>(paths, parse ?? (line => System.Text.Json.JsonSerializer.Deserialize<T>(line, JsonDefaults.Options) ?? throw new FormatException("null record")), 0, "JSON Lines");

/// <summary>
/// CSV files (RFC 4180 quoting: quoted fields may hold commas, doubled quotes and line breaks, see
/// <see cref="CsvFields"/>), with a header line unless <paramref name="hasHeader"/> is false; <c>parse</c> gets the
/// fields of a record. A record spans lines while a quoted field is open (<see cref="CsvFields.IsOpen"/>).
/// </summary>
public sealed class CsvFileSource<T>(IReadOnlyList<string> paths, Func<string[], T> parse, bool hasHeader = true)
    : LineFileSource<T>(paths, line => parse(CsvFields.Split(line)), hasHeader ? 1 : 0, "CSV", CsvFields.IsOpen);

/// <summary>JSON settings for file connectors: snake_case names, as the event formats use.</summary>
public static class JsonDefaults
{
    public static System.Text.Json.JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
    };
}
