using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RecoFlow.Connectors.Files;
using RecoFlow.Testing;
using RecoFlow.TestKit;
using RecoFlow.TestSupport;
using Xunit.Abstractions;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>
/// The recommendation job at parallelism 2 over a MovieLens prefix, in one <c>recoflow run</c> process with checkpoints
/// every second, SIGKILLed three times at random moments after a completed checkpoint while its output still grows, and
/// started again with the same state directory until it finishes: every rating gets exactly one committed list, and the
/// lists' recall@10 is within <see cref="RecommendationReplay.RecallTolerance"/> (3 %) of an uninterrupted run of the same
/// command. Both run with <see cref="RecommendationReplay.EventTimeOrder"/>, which makes the lists reproducible.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class RecommendationKillRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 25_000;
    private const int Rate = 1_000; // 25 s of input per run: the kills land mid-stream
    private const int Kills = 3;


    private readonly string _dir = Directory.CreateTempSubdirectory("reco-kill").FullName;

    [Fact]
    public async Task At_parallelism_2_every_rating_gets_exactly_one_committed_list_through_three_sigkills()
    {
        var input = Path.Combine(_dir, "ratings.csv");
        var events = RecommendationReplay.WriteMovieLensPrefix(input, Events);
        var catalog = Path.Combine(RepositoryData.MovieLensDir(), "movies.csv");
        string[] Args(string run) =>
        [
            "run", "recommendations", "--param", $"input={input}", "--param", "format=movielens", "--param", $"catalog={catalog}",
            "--param", $"output={Path.Combine(_dir, run, "out")}", "--param", "parallelism=2", "--param", $"rate={Rate}", "--param", RecommendationReplay.EventTimeOrder,
            "--state-dir", Path.Combine(_dir, run, "state"), "--checkpoint-interval", "1s",
        ];

        var clock = Stopwatch.StartNew();
        var referenceLog = new StringBuilder();
        using (var reference = CliProcess.Start(Args("reference"), referenceLog))
        {
            Assert.True(await reference.WaitForExitAsync(TimeSpan.FromMinutes(2)), $"the uninterrupted run did not end\n{referenceLog}");
            Assert.True(reference.Process.ExitCode == 0, $"uninterrupted run: exit {reference.Process.ExitCode}\n{referenceLog}\n{await reference.Stderr}");
        }
        output.WriteLine($"uninterrupted run: {clock.Elapsed.TotalSeconds:F1} s");
        var referenceRecall = CheckExactlyOnce(events, Path.Combine(_dir, "reference", "out"));

        clock.Restart();
        var seed = Environment.TickCount;
        var log = await KillAndResume(Args("killed"), Path.Combine(_dir, "killed", "out"), seed);
        output.WriteLine($"killed run (seed {seed}): {clock.Elapsed.TotalSeconds:F1} s\n{log}");
        var recall = CheckExactlyOnce(events, Path.Combine(_dir, "killed", "out"));

        output.WriteLine($"uninterrupted: {referenceRecall}; killed {Kills} times: {recall}");
        Assert.True(RecommendationReplay.WithinTolerance(recall, referenceRecall),
            $"seed {seed}: {recall} after {Kills} kills is not within {RecommendationReplay.RecallTolerance:P0} of the uninterrupted run's {referenceRecall}: did a restore lose learned state?");
    }

    /// <summary>Asserts that each input event has exactly one committed list; returns the lists' recall@10.</summary>
    private static RecallResult CheckExactlyOnce(IReadOnlyList<ReplayedEvent> events, string outputDir)
    {
        var (lists, repeated) = RecommendationReplay.ReadCommitted(outputDir);
        var violations = RecommendationReplay.ExactlyOnceViolations(events, lists, repeated);
        Assert.True(violations is null, $"{outputDir}: {violations}");
        return ListRecall.Compute(events, lists);
    }

    /// <summary>
    /// Starts the run, waits for a checkpoint completed by this run, kills it with SIGKILL after a random delay of up to
    /// 4 s and checks that its committed output was not complete (nor smaller than before); <see cref="Kills"/> times; then runs
    /// it to the end. (A resumed run first prints the checkpoints it restored the history of: those do not count.)
    /// </summary>
    private static async Task<string> KillAndResume(string[] args, string outputDir, int seed)
    {
        var rng = new Random(seed);
        var log = new StringBuilder();
        var committed = 0;
        long lastCheckpoint = 0;
        for (var kill = 1; kill <= Kills; kill++)
        {
            int from;
            lock (log) from = log.Length;
            using var run = CliProcess.Start(args, log);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            long Newest() => CompletedCheckpoint().Matches(Since(log, from)).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            while (Newest() <= lastCheckpoint)
            {
                if (run.Process.HasExited) throw new InvalidOperationException($"seed {seed}: run {kill} ended (exit {run.Process.ExitCode}) before it completed a checkpoint\n{log}\n{await run.Stderr}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"seed {seed}: run {kill} completed no checkpoint within a minute\n{log}");
                await Task.Delay(50);
            }
            var delay = TimeSpan.FromMilliseconds(rng.Next(0, 4_000));
            if (await run.WaitForExitAsync(delay))
                throw new InvalidOperationException($"seed {seed}: run {kill} finished (exit {run.Process.ExitCode}) before kill {kill}: the input is too short for the rate\n{log}");
            await run.KillAsync();
            lastCheckpoint = Newest();
            var now = CommittedFiles.ReadLines(outputDir).Count();
            lock (log) log.AppendLine($"run {kill}: killed {delay.TotalMilliseconds:0} ms after its first completed checkpoint (last: {lastCheckpoint}); {now} lists committed");
            Assert.True(now < Events, $"seed {seed}: the output was complete before kill {kill}\n{log}");
            Assert.True(now >= committed, $"seed {seed}: the committed output shrank from {committed} to {now} lists\n{log}");
            committed = now;
        }
        Assert.True(committed > 0, $"seed {seed}: nothing was committed before the last kill\n{log}");
        int final;
        lock (log) final = log.Length;
        using var last = CliProcess.Start(args, log);
        if (!await last.WaitForExitAsync(TimeSpan.FromMinutes(2))) throw new TimeoutException($"seed {seed}: the final run did not end\n{log}");
        var text = Since(log, 0);
        Assert.True(last.Process.ExitCode == 0, $"seed {seed}: final run: exit {last.Process.ExitCode}\n{text}\n{await last.Stderr}");
        Assert.Contains("resumed from checkpoint", Since(log, final), StringComparison.Ordinal);
        return text;
    }

    private static string Since(StringBuilder log, int from)
    {
        lock (log) return log.ToString(from, log.Length - from);
    }

    [GeneratedRegex(@"checkpoint (\d+) completed")]
    private static partial Regex CompletedCheckpoint();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
