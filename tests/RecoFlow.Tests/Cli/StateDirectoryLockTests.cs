using RecoFlow.Cli;

namespace RecoFlow.Tests.Cli;

/// <summary>
/// The state directory lock, in one process: each holder is its own file handle (the operating system's lock is per
/// open file), with a made-up pid so that two holders of this process are told apart.
/// </summary>
public sealed class StateDirectoryLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("state-lock").FullName;

    private static StateDirectoryHolder Run(int pid) => new(pid, Environment.MachineName, StateDirectoryHolder.RunCommand);

    private static StateDirectoryHolder Node(int pid, int port, params string[] seeds) =>
        new(pid, Environment.MachineName, StateDirectoryHolder.NodeCommand, $"akka.tcp://recoflow@127.0.0.1:{port}", seeds);

    [Fact]
    public void A_second_run_is_refused_naming_the_holders_pid()
    {
        using var first = StateDirectoryLock.Acquire(_dir, Run(41001));
        var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Run(41002)));
        Assert.Contains("process 41001 (recoflow run)", e.Message);
        Assert.Contains(_dir, e.Message);
        Assert.Equal(41001, Assert.Single(e.Holders).Pid);
    }

    [Fact]
    public void A_demo_holds_its_directory_as_a_run_does()
    {
        using var demo = StateDirectoryLock.Acquire(_dir, new StateDirectoryHolder(41005, Environment.MachineName, StateDirectoryHolder.DemoCommand));
        var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Run(41006)));
        Assert.Contains("process 41005 (recoflow demo)", e.Message);
        Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, new StateDirectoryHolder(41007, Environment.MachineName, StateDirectoryHolder.DemoCommand)));
    }

    [Fact]
    public void A_node_is_refused_on_a_runs_directory_and_a_run_on_a_nodes()
    {
        using (StateDirectoryLock.Acquire(_dir, Run(41001)))
        {
            var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Node(41002, 4053, "127.0.0.1:4053")));
            Assert.Contains("process 41001 (recoflow run)", e.Message);
        }
        using (StateDirectoryLock.Acquire(_dir, Node(41003, 4053, "127.0.0.1:4053")))
        {
            var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Run(41004)));
            Assert.Contains("process 41003 (recoflow node akka.tcp://recoflow@127.0.0.1:4053)", e.Message);
        }
    }

    [Fact]
    public void Nodes_of_one_cluster_share_a_directory_and_a_run_is_refused_naming_them_all()
    {
        using var seed = StateDirectoryLock.Acquire(_dir, Node(41001, 4053, "127.0.0.1:4053"));
        using var worker = StateDirectoryLock.Acquire(_dir, Node(41002, 4054, "127.0.0.1:4053"));
        using var other = StateDirectoryLock.Acquire(_dir, Node(41003, 4055, "127.0.0.1:4054", "127.0.0.1:4053"));
        Assert.Equal([41001, 41002, 41003], StateDirectoryLock.Holders(_dir).Select(h => h.Pid).Order());
        var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Run(41004)));
        Assert.Contains("process 41001", e.Message);
        Assert.Contains("process 41002", e.Message);
        Assert.Contains("process 41003", e.Message);
    }

    [Fact]
    public void A_node_of_another_cluster_is_refused_and_leaves_no_trace()
    {
        using var first = StateDirectoryLock.Acquire(_dir, Node(41001, 4053, "127.0.0.1:4053"));
        var e = Assert.Throws<StateDirectoryInUseException>(() => StateDirectoryLock.Acquire(_dir, Node(41002, 4063, "127.0.0.1:4063")));
        Assert.Contains("process 41001 (recoflow node akka.tcp://recoflow@127.0.0.1:4053), a node of another cluster", e.Message);
        Assert.Contains("--seed", e.Message);
        Assert.Equal(41001, Assert.Single(StateDirectoryLock.Holders(_dir)).Pid);
        // The refused node released the directory: a node of the first cluster still joins it.
        using var worker = StateDirectoryLock.Acquire(_dir, Node(41003, 4054, "127.0.0.1:4053"));
    }

    [Fact]
    public void Disposing_releases_the_directory()
    {
        StateDirectoryLock.Acquire(_dir, Run(41001)).Dispose();
        using var second = StateDirectoryLock.Acquire(_dir, Run(41002));
        Assert.Equal(41002, Assert.Single(StateDirectoryLock.Holders(_dir)).Pid);
    }

    [Fact]
    public void The_files_of_a_holder_that_died_are_not_named_and_are_removed()
    {
        // What a killed holder leaves: its files, with no lock on them any more.
        var holders = Directory.CreateDirectory(Path.Combine(_dir, StateDirectoryLock.HoldersDirectoryName)).FullName;
        File.WriteAllText(Path.Combine(holders, "41009@" + Environment.MachineName + ".lock"), "");
        File.WriteAllText(Path.Combine(holders, "41009@" + Environment.MachineName + ".json"), """{"pid":41009,"machine":"m","command":"run"}""");
        File.WriteAllText(Path.Combine(_dir, StateDirectoryLock.LockFileName), "");
        Assert.Empty(StateDirectoryLock.Holders(_dir));
        Assert.Empty(Directory.GetFiles(holders));
        using var run = StateDirectoryLock.Acquire(_dir, Run(41001));
    }

    [Fact]
    public void The_lock_creates_a_missing_directory()
    {
        var fresh = Path.Combine(_dir, "a", "b");
        using var l = StateDirectoryLock.Acquire(fresh, StateDirectoryHolder.Run());
        Assert.True(Directory.Exists(fresh));
        Assert.Equal(Environment.ProcessId, Assert.Single(StateDirectoryLock.Holders(fresh)).Pid);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
