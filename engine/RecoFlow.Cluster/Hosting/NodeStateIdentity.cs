using System.Data.Common;
using Akka.Configuration;

namespace RecoFlow.Cluster.Hosting;

/// <summary>
/// Which state directory and checkpoint store a node uses, advertised to the cluster as one of its roles
/// (<c>recoflow-state:ID|STORE|DIRECTORY</c>) so the job manager can see, from membership alone, whether the nodes it
/// would run a checkpointed job on share them.
/// </summary>
/// <param name="StateId">The state directory's id: a GUID written once into <c>STATE_DIR/state-id</c>, so the same
/// directory has the same id on every node that sees it (on one machine, or on a shared file system).</param>
/// <param name="Store">The checkpoint store: its provider and where it is (the SQLite file, relative to the state
/// directory when inside it; the host, port and database of a server), never its credentials.</param>
/// <param name="Directory">The state directory's path on the node (for messages only).</param>
public sealed record NodeStateIdentity(string StateId, string Store, string Directory)
{
    public const string RolePrefix = "recoflow-state:";
    public const string IdFileName = "state-id";

    public string ToRole() => $"{RolePrefix}{StateId}|{Store}|{Directory}";

    /// <summary>Two nodes share their state when both the directory and the store are the same.</summary>
    public bool Shares(NodeStateIdentity other) =>
        string.Equals(StateId, other.StateId, StringComparison.Ordinal) && string.Equals(Store, other.Store, StringComparison.Ordinal);

    public static NodeStateIdentity? FromRoles(IEnumerable<string> roles)
    {
        foreach (var r in roles)
        {
            if (!r.StartsWith(RolePrefix, StringComparison.Ordinal)) continue;
            var parts = r[RolePrefix.Length..].Split('|', 3);
            if (parts.Length == 3) return new NodeStateIdentity(parts[0], parts[1], parts[2]);
        }
        return null;
    }

    /// <summary>The identity of a node with state directory <paramref name="directory"/> and the checkpoint store of <paramref name="config"/>.</summary>
    public static NodeStateIdentity Of(string directory, Config config)
    {
        var dir = Path.GetFullPath(directory);
        return new NodeStateIdentity(StateIdOf(dir), StoreOf(dir, config), dir);
    }

    /// <summary>The id of a state directory, written on first use (the first writer wins when several start together).</summary>
    public static string StateIdOf(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, IdFileName);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } existing) return existing;
                var id = Guid.NewGuid().ToString("N");
                var temp = Path.Combine(directory, $"{IdFileName}.{id}");
                File.WriteAllText(temp, id);
                try { File.Move(temp, file, overwrite: false); }
                catch (IOException) { File.Delete(temp); }
            }
            catch (IOException) when (attempt < 20)
            {
                // Another node is writing it now: read it again.
            }
        }
    }

    private static string StoreOf(string directory, Config config)
    {
        var provider = config.GetString("akka.persistence.journal.sql.provider-name", "");
        var connection = config.GetString("akka.persistence.journal.sql.connection-string", "");
        if (provider.Length == 0) return config.GetString("akka.persistence.journal.plugin", "none");
        var builder = new DbConnectionStringBuilder();
        try { builder.ConnectionString = connection; }
        catch (ArgumentException) { return provider; }
        if (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase))
        {
            var file = builder.TryGetValue("Data Source", out var ds) ? Path.GetFullPath(ds.ToString()!) : "";
            var relative = Path.GetRelativePath(directory, file);
            return $"{provider} {(relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? file : "STATE_DIR/" + relative.Replace('\\', '/'))}";
        }
        string Part(params string[] keys) => keys.Select(k => builder.TryGetValue(k, out var v) ? v?.ToString() : null).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? "";
        return $"{provider} {Part("Host", "Server")}:{Part("Port")}/{Part("Database")}";
    }
}
