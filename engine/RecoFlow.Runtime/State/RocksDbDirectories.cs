using System.Diagnostics;
using System.Globalization;

namespace RecoFlow.Runtime.State;

/// <summary>
/// Where a RocksDB keyed-state backend keeps its working database: under the job's state directory when it has one
/// (<c>rocksdb/</c>), else under the machine's temporary directory. Each backend gets its own directory, named after
/// the process, operator and subtask plus a unique suffix, so a restarted task never meets the lock of the one it
/// replaces; directories of processes that are gone (a killed run) are removed when a backend opens.
/// </summary>
internal static class RocksDbDirectories
{
    public static string For(string? stateDirectory, string operatorId, int subtask)
    {
        var root = stateDirectory is null ? Path.Combine(Path.GetTempPath(), "recoflow-rocksdb") : Path.Combine(stateDirectory, "rocksdb");
        Directory.CreateDirectory(root);
        RemoveOrphans(root);
        var safeId = string.Concat(operatorId.Select(c => char.IsLetterOrDigit(c) ? c : '_'));
        return Path.Combine(root, $"{Environment.ProcessId}-{safeId}-{subtask}-{Guid.NewGuid():N}");
    }

    private static void RemoveOrphans(string root)
    {
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(dir);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            if (IsRunning(pid)) continue;
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { } // another process removing it too
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
