using System.Text;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// Writes one line per record.
/// <list type="bullet">
/// <item>Without checkpoints: to a file (subtask 0 writes <c>path</c>; subtask i &gt; 0 writes <c>path.i</c>).</item>
/// <item>With checkpoints: <c>path</c> is a directory written transactionally, as Flink's FileSink does. Records go
/// to a hidden in-progress file; on a checkpoint's barrier it is closed and renamed to a hidden pending file; when the
/// checkpoint completes the pending file is renamed to its final name <c>part-SUBTASK-CHECKPOINT</c>. Readers take the
/// files whose names do not start with <c>.</c> or <c>_</c> and see every record exactly once.</item>
/// </list>
/// </summary>
public sealed class FileSink<T>(string path, Func<T, string> format, string formatName = "lines") : ISink<T>
{
    public ISinkWriter<T> CreateWriter(SinkContext context)
    {
        if (context.CheckpointingEnabled) return new TransactionalFileWriter<T>(path, context.SubtaskIndex, format);
        if (Directory.Exists(path))
            throw new IOException($"file sink {path}: a directory of that name exists (written by a checkpointed run?); choose another output or run with checkpoints");
        var file = context.SubtaskIndex == 0 ? path : $"{path}.{context.SubtaskIndex}";
        var dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is not null) Directory.CreateDirectory(dir);
        return new Writer(new StreamWriter(file, false, new UTF8Encoding(false), 1 << 16), format);
    }

    public string Describe() => $"{formatName} file {path}";

    /// <summary>JSON Lines with snake_case property names.</summary>
    public static FileSink<T> JsonLines(string path) =>
        new(path, v => System.Text.Json.JsonSerializer.Serialize(v, JsonDefaults.Options), "JSON Lines");

    private sealed class Writer(StreamWriter writer, Func<T, string> format) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp) => writer.WriteLine(format(value));

        public void Flush(bool endOfInput) => writer.Flush();

        public void Dispose() => writer.Dispose();
    }
}

/// <summary>The committed output of a transactional file sink.</summary>
public static class CommittedFiles
{
    /// <summary>Committed part files of a sink directory, in name order (hidden in-progress and pending files excluded).</summary>
    public static IReadOnlyList<string> List(string directory) =>
        !Directory.Exists(directory) ? [] :
        Directory.EnumerateFiles(directory)
            .Where(f => Path.GetFileName(f) is var n && !n.StartsWith('.') && !n.StartsWith('_'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>All committed lines of a sink directory.</summary>
    public static IEnumerable<string> ReadLines(string directory) => List(directory).SelectMany(File.ReadLines);
}

/// <summary>
/// One subtask of a transactional file sink: in-progress → pending (on the barrier) → committed (when the checkpoint
/// completes). A handle names a pending file and its final name; committing it again is a no-op.
/// </summary>
internal sealed class TransactionalFileWriter<T> : ITwoPhaseCommitSinkWriter<T>
{
    private readonly string _directory;
    private readonly int _subtask;
    private readonly Func<T, string> _format;
    private readonly string _prefix;
    private FileStream? _file;
    private StreamWriter? _writer;
    private string? _inProgress;

    public TransactionalFileWriter(string directory, int subtask, Func<T, string> format)
    {
        _directory = Path.GetFullPath(directory);
        if (File.Exists(_directory))
            throw new IOException($"file sink {directory}: with checkpoints the output is a directory, but a file of that name exists");
        Directory.CreateDirectory(_directory);
        _subtask = subtask;
        _format = format;
        _prefix = $".part-{subtask:D4}-";
    }

    public void Write(T value, long timestamp)
    {
        if (_writer is null)
        {
            _inProgress = Path.Combine(_directory, $"{_prefix}{Guid.NewGuid():N}.inprogress");
            _file = new FileStream(_inProgress, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
            _writer = new StreamWriter(_file, new UTF8Encoding(false), 1 << 16);
        }
        _writer.WriteLine(_format(value));
    }

    public void Flush(bool endOfInput) => _writer?.Flush();

    public byte[] PrepareCommit(long checkpointId)
    {
        if (_writer is null) return [];
        _writer.Flush();
        _file!.Flush(flushToDisk: true);
        _writer.Dispose();
        _writer = null;
        _file = null;
        var id = checkpointId == long.MaxValue ? "final" : checkpointId.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
        var pending = $"{_prefix}{id}.pending";
        var final = $"part-{_subtask:D4}-{id}";
        File.Move(_inProgress!, Path.Combine(_directory, pending), overwrite: true);
        _inProgress = null;
        return Encoding.UTF8.GetBytes(pending + "\n" + final);
    }

    public void Commit(long checkpointId, IReadOnlyList<byte[]> handles)
    {
        foreach (var h in handles) CommitOne(h);
    }

    private void CommitOne(byte[] handle)
    {
        if (handle.Length == 0) return;
        var parts = Encoding.UTF8.GetString(handle).Split('\n');
        var pending = Path.Combine(_directory, parts[0]);
        var final = Path.Combine(_directory, parts[1]);
        if (File.Exists(final)) return; // committed before: a commit repeated after recovery, or by another subtask after a rescale
        try
        {
            File.Move(pending, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // Another subtask committed the same handle at the same moment (after a rescale every subtask sees every handle).
        }
        catch (FileNotFoundException e)
        {
            throw new IOException($"file sink {_directory}: cannot commit {parts[1]}: its pending file {parts[0]} is missing", e);
        }
    }

    /// <summary>Commits the restored checkpoint's handles, then deletes this subtask's files of attempts that never completed.</summary>
    public void Recover(IReadOnlyList<byte[]> committable)
    {
        foreach (var h in committable) CommitOne(h);
        var keep = committable.Where(h => h.Length > 0).Select(h => Encoding.UTF8.GetString(h).Split('\n')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(_directory, _prefix + "*"))
            if (!keep.Contains(Path.GetFileName(f))) File.Delete(f);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        _file = null;
    }
}
