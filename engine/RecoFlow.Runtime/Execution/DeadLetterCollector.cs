using System.Collections.Concurrent;
using System.Text.Json;
using RecoFlow.Api.Operators;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// Collects the job's dead letters: records an operator could not process, with the reason. Keeps the most recent ones
/// in memory (for tests and the dashboard), counts all, and appends each as a JSON line to a file when one is set.
/// Thread-safe: every task of the job reports here.
/// </summary>
public sealed class DeadLetterCollector : IDisposable
{
    private readonly ConcurrentQueue<DeadLetter> _recent = new();
    private readonly int _keep;
    private readonly StreamWriter? _file;
    private readonly Lock _fileLock = new();
    private long _count;

    public DeadLetterCollector(string? path = null, int keep = 10_000)
    {
        _keep = keep;
        if (path is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        }
    }

    public long Count => Interlocked.Read(ref _count);
    public IReadOnlyList<DeadLetter> Recent => _recent.ToArray();

    /// <summary>The output one operator reports to.</summary>
    public IDeadLetterOutput For(string operatorName) => new OperatorDeadLetters(this, operatorName);

    public void Report(string operatorName, string reason, object? record, long timestamp)
    {
        var letter = new DeadLetter(operatorName, reason, Describe(record), timestamp);
        Interlocked.Increment(ref _count);
        _recent.Enqueue(letter);
        while (_recent.Count > _keep && _recent.TryDequeue(out _)) { }
        if (_file is null) return;
        var line = JsonSerializer.Serialize(new { @operator = letter.OperatorName, reason = letter.Reason, record = letter.Record, timestamp = letter.Timestamp });
        lock (_fileLock) _file.WriteLine(line);
    }

    private static string Describe(object? record)
    {
        switch (record)
        {
            case null: return "null";
            case string s: return s;
            default:
                try { return JsonSerializer.Serialize(record, record.GetType()); }
                catch (NotSupportedException) { return record.ToString() ?? record.GetType().Name; }
        }
    }

    public void Dispose() => _file?.Dispose();

    private sealed class OperatorDeadLetters(DeadLetterCollector owner, string operatorName) : IDeadLetterOutput
    {
        public void Report(string reason, object? record, long timestamp) => owner.Report(operatorName, reason, record, timestamp);
    }
}
