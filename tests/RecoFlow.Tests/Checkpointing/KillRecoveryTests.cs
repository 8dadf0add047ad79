using RecoFlow.TestKit;
using RecoFlow.TestSupport;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The RecoFlow process is killed with SIGKILL at random moments while YSB runs with checkpoints every second, and
/// started again with the same state directory; the committed output must equal the independent count exactly.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KillRecoveryTests(YsbFixture ysb) : IClassFixture<YsbFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kill").FullName;

    [Fact]
    public Task Ysb_survives_sigkill_with_the_sqlite_store() => KillAndRecover(extraArgs: [], environment: null);

    /// <summary>Keyed state in RocksDB (<c>--state-backend rocksdb</c>): each run rebuilds its database from the checkpoint.</summary>
    [Fact]
    public Task Ysb_survives_sigkill_with_the_rocksdb_backend() => KillAndRecover(extraArgs: ["--state-backend", "rocksdb"], environment: null);

    [Fact]
    public async Task Ysb_survives_sigkill_with_the_postgres_store()
    {
        var connection = await TestDatabases.NewPostgresDatabaseAsync();
        await KillAndRecover(["--config", RepositoryFiles.Path("cluster-config", "persistence-postgres.conf")],
            new Dictionary<string, string> { ["RECOFLOW_PERSISTENCE_CONNECTION"] = connection });
    }

    private async Task KillAndRecover(string[] extraArgs, Dictionary<string, string>? environment)
    {
        var output = Path.Combine(_dir, "out");
        string[] args = ["run", "ysb", "--param", $"input={ysb.Input}", "--param", $"campaigns={ysb.Campaigns}", "--param", $"output={output}",
            "--param", "rate=50000", "--state-dir", Path.Combine(_dir, "state"), "--checkpoint-interval", "1s", .. extraArgs];
        var log = await KillLoop.RunAsync(args, kills: 5, seed: Environment.TickCount, environment);
        // The last run resumes from a checkpoint, or finds that a killed run had already finished and committed.
        Assert.Matches("resumed from checkpoint|had already finished", log);
        ysb.AssertCommittedOutputExact(output);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
