using Akka.Configuration;
using RecoFlow.Cluster.Hosting;
using RecoFlow.Cluster.Jobs;
using RecoFlow.Runtime.Checkpointing;

namespace RecoFlow.Cluster.Tests;

/// <summary>What a node advertises about its state directory and checkpoint store, and the job manager's check of it.</summary>
public sealed class SharedStateCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shared-state").FullName;

    private static NodeStateIdentity Id(string stateId, string store = "SQLite.MS STATE_DIR/checkpoints.db", string dir = "/state") => new(stateId, store, dir);

    [Fact]
    public void Nodes_sharing_directory_and_store_pass()
    {
        Assert.Null(SharedStateCheck.Check("ysb", [("a", Id("1", dir: "/x")), ("b", Id("1", dir: "/mnt/x")), ("c", Id("1"))]));
        Assert.Null(SharedStateCheck.Check("ysb", [("a", Id("1"))]));
        // A node that says nothing (an older version) is not held against the others.
        Assert.Null(SharedStateCheck.Check("ysb", [("a", Id("1")), ("b", null)]));
    }

    [Fact]
    public void A_joining_node_whose_state_differs_from_any_members_is_refused_naming_them()
    {
        Assert.Null(SharedStateCheck.CheckJoin("me", Id("1"), [("me", Id("1")), ("a", Id("1", dir: "/elsewhere")), ("b", null)]));
        Assert.Null(SharedStateCheck.CheckJoin("me", null, [("a", Id("2"))]));
        var message = SharedStateCheck.CheckJoin("me", Id("bbbbbbbbbbbb", dir: "/b"), [("me", Id("bbbbbbbbbbbb", dir: "/b")), ("x", Id("aaaaaaaaaaaa", dir: "/a")), ("y", Id("aaaaaaaaaaaa", dir: "/a"))]);
        Assert.NotNull(message);
        Assert.Contains("node me refused to join: it uses state directory /b (id bbbbbbbb", message);
        Assert.Contains("x, y use state directory /a (id aaaaaaaa", message);
        Assert.Contains("--state-dir", message);
    }

    [Fact]
    public void Nodes_with_their_own_directory_or_store_are_refused_naming_them_and_the_settings()
    {
        var message = SharedStateCheck.Check("ysb", [
            ("akka.tcp://recoflow@127.0.0.1:4053", Id("aaaaaaaaaaaa", dir: "/a")),
            ("akka.tcp://recoflow@127.0.0.1:4054", Id("bbbbbbbbbbbb", dir: "/b")),
            ("akka.tcp://recoflow@127.0.0.1:4055", Id("aaaaaaaaaaaa", dir: "/a")),
        ]);
        Assert.NotNull(message);
        Assert.Contains("job 'ysb' refused", message);
        Assert.Contains("akka.tcp://recoflow@127.0.0.1:4053, akka.tcp://recoflow@127.0.0.1:4055 use state directory /a (id aaaaaaaa", message);
        Assert.Contains("akka.tcp://recoflow@127.0.0.1:4054 uses state directory /b (id bbbbbbbb", message);
        Assert.Contains("--state-dir", message);
        Assert.Contains("RECOFLOW_PERSISTENCE_CONNECTION", message);

        var stores = SharedStateCheck.Check("ysb", [("a", Id("1", "PostgreSQL.15 db1:5432/recoflow")), ("b", Id("1", "PostgreSQL.15 db2:5432/recoflow"))]);
        Assert.Contains("checkpoint store PostgreSQL.15 db2:5432/recoflow", stores);
    }

    [Fact]
    public void The_identity_travels_as_a_role_and_names_the_store_without_credentials()
    {
        var sqlite = NodeStateIdentity.Of(_dir, CheckpointStore.Sqlite(Path.Combine(_dir, "checkpoints.db")));
        Assert.Equal("SQLite.MS STATE_DIR/checkpoints.db", sqlite.Store);
        Assert.Equal(sqlite, NodeStateIdentity.FromRoles(["worker", sqlite.ToRole(), "job-manager"]));
        // The directory's id is written once: every node that sees the directory reads the same.
        Assert.Equal(sqlite.StateId, NodeStateIdentity.Of(_dir, Config.Empty).StateId);
        Assert.NotEqual(sqlite.StateId, NodeStateIdentity.StateIdOf(Path.Combine(_dir, "other")));

        var postgres = NodeStateIdentity.Of(_dir, CheckpointStore.Postgres("Host=db1;Port=5432;Database=recoflow;Username=u;Password=secret"));
        Assert.Equal("PostgreSQL.15 db1:5432/recoflow", postgres.Store);
        Assert.DoesNotContain("secret", postgres.ToRole());
    }

    [Fact]
    public void A_nodes_settings_advertise_its_identity_beside_its_roles()
    {
        var settings = NodeSettings.Resolve(Config.Empty, 4053, null, 0, _dir);
        var roles = settings.Config.GetStringList("akka.cluster.roles");
        Assert.Contains(ClusterNode.JobManagerRole, roles);
        Assert.Contains(ClusterNode.WorkerRole, roles);
        Assert.Equal(Path.GetFullPath(_dir), settings.StateIdentity!.Directory);
        Assert.Equal("SQLite.MS STATE_DIR/checkpoints.db", settings.StateIdentity.Store);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
