using System.Text.Json;
using System.Text.Json.Serialization;

namespace RecoFlow.Cli;

/// <summary>Who holds (or wants) a state directory: a <c>recoflow run</c>, or a <c>recoflow node</c> of a cluster.</summary>
/// <param name="Pid">The process id.</param>
/// <param name="Machine">The machine's name (pids of other machines mean nothing here).</param>
/// <param name="Command"><c>run</c> or <c>node</c>.</param>
/// <param name="Node">A node's Akka address.</param>
/// <param name="Seeds">A node's seed nodes as host:port (itself when it seeds itself).</param>
public sealed record StateDirectoryHolder(
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("node")] string? Node = null,
    [property: JsonPropertyName("seeds")] IReadOnlyList<string>? Seeds = null)
{
    public const string RunCommand = "run";
    public const string NodeCommand = "node";

    public const string DemoCommand = "demo";

    public static StateDirectoryHolder Run() => new(Environment.ProcessId, Environment.MachineName, RunCommand);

    /// <summary><c>recoflow demo</c> with a state directory: its alone, as a run's.</summary>
    public static StateDirectoryHolder Demo() => new(Environment.ProcessId, Environment.MachineName, DemoCommand);

    public static StateDirectoryHolder ClusterNode(string address, IReadOnlyList<string> seeds) =>
        new(Environment.ProcessId, Environment.MachineName, NodeCommand, address, seeds);

    /// <summary>"process 1234 (recoflow node akka.tcp://recoflow@127.0.0.1:4053)", with the machine when it is another one.</summary>
    public string Describe() =>
        $"process {Pid}{(string.Equals(Machine, Environment.MachineName, StringComparison.OrdinalIgnoreCase) ? "" : $" on {Machine}")} (recoflow {Command}{(Node is null ? "" : " " + Node)})";

    /// <summary>Two nodes are of one cluster when they join through a common seed node.</summary>
    public bool SharesSeedWith(StateDirectoryHolder other) =>
        (Seeds ?? []).Intersect(other.Seeds ?? [], StringComparer.OrdinalIgnoreCase).Any();
}

/// <summary>A state directory is held by another process: the CLI prints the message and exits with 2.</summary>
public sealed class StateDirectoryInUseException : Exception
{
    public StateDirectoryInUseException(string message, IReadOnlyList<StateDirectoryHolder> holders) : base(message) => Holders = holders;
    public StateDirectoryInUseException() : this("state directory in use", []) { }
    public StateDirectoryInUseException(string message) : this(message, []) { }
    public StateDirectoryInUseException(string message, Exception inner) : base(message, inner) => Holders = [];

    /// <summary>The live holders found (empty when one held the lock but had not yet said who it is).</summary>
    public IReadOnlyList<StateDirectoryHolder> Holders { get; }
}

/// <summary>
/// The lock of a state directory, held by the process that uses it until it is disposed or the process ends (the
/// operating system releases the file locks on any exit, kill -9 included, so no lock ever goes stale).
/// <list type="bullet">
/// <item><c>STATE_DIR/recoflow.lock</c>: a <c>recoflow run</c> opens it exclusively (FileShare.None); a <c>recoflow
/// node</c> opens it shared, because the nodes of one cluster on one machine share their state directory.</item>
/// <item><c>STATE_DIR/locks/PID@MACHINE.lock</c>, held exclusively by each holder, and <c>PID@MACHINE.json</c> beside
/// it saying who it is (pid, command, node address, seeds): what the refusal names. A holder file that can be locked
/// belongs to a process that is gone, and is removed.</item>
/// </list>
/// A node refuses a directory held by a node that has no seed node in common with it (another cluster).
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    public const string LockFileName = "recoflow.lock";
    public const string HoldersDirectoryName = "locks";

    private readonly FileStream _directoryLock;
    private readonly FileStream _holderLock;
    private readonly string _holderInfo;
    private int _disposed;

    private StateDirectoryLock(string directory, StateDirectoryHolder holder, FileStream directoryLock, FileStream holderLock, string holderInfo)
    {
        Directory = directory;
        Holder = holder;
        _directoryLock = directoryLock;
        _holderLock = holderLock;
        _holderInfo = holderInfo;
    }

    public string Directory { get; }
    public StateDirectoryHolder Holder { get; }

    /// <summary>
    /// Takes the lock of <paramref name="directory"/> (created if missing) for <paramref name="holder"/>; throws
    /// <see cref="StateDirectoryInUseException"/> naming the holders' pids when another process holds it.
    /// </summary>
    public static StateDirectoryLock Acquire(string directory, StateDirectoryHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var holders = System.IO.Directory.CreateDirectory(Path.Combine(directory, HoldersDirectoryName)).FullName;
        var exclusive = holder.Command != StateDirectoryHolder.NodeCommand;
        FileStream directoryLock;
        try
        {
            directoryLock = exclusive
                ? new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException)
        {
            var live = LiveHolders(holders, null);
            throw new StateDirectoryInUseException(InUse(directory, live), live);
        }
        FileStream? holderLock = null;
        try
        {
            var name = $"{holder.Pid}@{Sanitize(holder.Machine)}";
            holderLock = new FileStream(Path.Combine(holders, name + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var info = Path.Combine(holders, name + ".json");
            File.WriteAllText(info, JsonSerializer.Serialize(holder));
            // Written before looking: of two nodes of different clusters starting together, at least one sees the other.
            if (!exclusive)
            {
                var others = LiveHolders(holders, name).Where(h => h.Command == StateDirectoryHolder.NodeCommand && !h.SharesSeedWith(holder)).ToList();
                if (others.Count > 0)
                {
                    File.Delete(info);
                    throw new StateDirectoryInUseException(
                        $"state directory {directory} is in use by {string.Join(", ", others.Select(o => o.Describe()))}, a node of another cluster " +
                        $"(seeds {string.Join(", ", others[0].Seeds ?? [])}; this node's: {string.Join(", ", holder.Seeds ?? [])}): " +
                        "nodes share a state directory only with the nodes of their own cluster; give this node --seed of that cluster, or another --state-dir", others);
                }
            }
            return new StateDirectoryLock(directory, holder, directoryLock, holderLock, info);
        }
        catch
        {
            holderLock?.Dispose();
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>The live holders of <paramref name="directory"/> other than this process (stale holder files are removed).</summary>
    public static IReadOnlyList<StateDirectoryHolder> Holders(string directory)
    {
        var holders = Path.Combine(Path.GetFullPath(directory), HoldersDirectoryName);
        return System.IO.Directory.Exists(holders) ? LiveHolders(holders, null) : [];
    }

    private static string InUse(string directory, IReadOnlyList<StateDirectoryHolder> live) =>
        $"state directory {directory} is in use by {(live.Count == 0 ? "another process" : string.Join(", ", live.Select(h => h.Describe())))}; " +
        "stop it, or give this one another --state-dir";

    private static List<StateDirectoryHolder> LiveHolders(string holders, string? except)
    {
        var live = new List<StateDirectoryHolder>();
        foreach (var lockFile in System.IO.Directory.EnumerateFiles(holders, "*.lock"))
        {
            var name = Path.GetFileNameWithoutExtension(lockFile);
            if (name == except) continue;
            var info = Path.ChangeExtension(lockFile, ".json");
            try
            {
                // Lockable: its process is gone (or it is this process's own, which `except` names).
                using (new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                TryDelete(info);
                TryDelete(lockFile);
                continue;
            }
            catch (FileNotFoundException) { continue; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            try
            {
                if (JsonSerializer.Deserialize<StateDirectoryHolder>(File.ReadAllText(info)) is { } h) live.Add(h);
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        }
        return live;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static string Sanitize(string machine) =>
        string.Concat(machine.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        TryDelete(_holderInfo);
        _holderLock.Dispose();
        TryDelete(Path.ChangeExtension(_holderInfo, ".lock"));
        _directoryLock.Dispose();
    }
}
