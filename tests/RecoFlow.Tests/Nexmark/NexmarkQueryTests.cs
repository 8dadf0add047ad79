using System.Diagnostics;
using RecoFlow.Api;
using RecoFlow.Connectors.Files;
using RecoFlow.Connectors.Memory;
using RecoFlow.Jobs.Nexmark;
using RecoFlow.Runtime;
using RecoFlow.Runtime.Execution;
using Xunit.Abstractions;

namespace RecoFlow.Tests.Nexmark;

/// <summary>
/// Every Nexmark job on the local runtime, at parallelism 1 and 2, against the hand-written loops of
/// <see cref="NexmarkQueries"/> over the same generated events: the result multisets must be equal. Windowed queries
/// run at 1,000 events per second of event time so that 200,000 events span 200 s (twenty 10 s windows, a hundred slides).
/// </summary>
[Trait("Category", "Slow")]
public sealed class NexmarkQueryTests(ITestOutputHelper log)
{
    private const long Events = 200_000;
    private const long Rate = 1_000;
    private const long Seed = 3;

    private static readonly Lazy<Event[]> EventArray = new(() =>
        new NexmarkGenerator(new NexmarkConfig { EventsPerSecond = Rate, Seed = Seed }).GenerateRange(0, (int)Events));

    private async Task<IReadOnlyList<T>> Run<T>(NexmarkQuery<T> query, int parallelism, params (string Key, string Value)[] extra)
    {
        var values = new Dictionary<string, string>
        {
            ["events"] = Events.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["rate"] = Rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["parallelism"] = parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in extra) values[k] = v;
        var sink = new CollectSink<T>();
        var job = query.Build(query.ParseParameters(values), sink);
        await using var runtime = LocalRuntime.Start();
        var clock = Stopwatch.StartNew();
        var result = await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Finished, result.State);
        log.WriteLine($"{query.Name} p={parallelism}: {Events} events -> {sink.Count} results in {clock.ElapsedMilliseconds} ms ({Events * 1000.0 / Math.Max(1, clock.ElapsedMilliseconds):N0} events/s)");
        return sink.Items;
    }

    /// <summary>Equal as multisets (order-insensitive, duplicates counted).</summary>
    private static void AssertSameResults<T>(IReadOnlyCollection<T> expected, IReadOnlyCollection<T> actual) where T : notnull
    {
        var counts = new Dictionary<T, int>();
        foreach (var e in expected) counts[e] = counts.GetValueOrDefault(e) + 1;
        var unexpected = new List<T>();
        foreach (var a in actual)
        {
            if (counts.TryGetValue(a, out var n) && n > 0) counts[a] = n - 1;
            else unexpected.Add(a);
        }
        var missing = counts.Where(kv => kv.Value > 0).Select(kv => kv.Key).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"expected {expected.Count} results, got {actual.Count}; missing {missing.Count} (e.g. {string.Join("; ", missing.Take(3))}); unexpected {unexpected.Count} (e.g. {string.Join("; ", unexpected.Take(3))})");
    }

    private static long WindowStartOf(long time, long size) => time - (time % size + size) % size;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q0_passes_every_bid_through(int parallelism)
    {
        var expected = NexmarkQueries.Q0(EventArray.Value);
        Assert.Equal(Events / 50 * 46, expected.Count);
        AssertSameResults(expected, await Run(new Q0PassThrough(), parallelism));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q1_converts_every_price_to_euros(int parallelism)
    {
        var expected = NexmarkQueries.Q1(EventArray.Value);
        var actual = await Run(new Q1CurrencyConversion(), parallelism);
        AssertSameResults(expected, actual);
        var bids = NexmarkQueries.Q0(EventArray.Value);
        for (var i = 0; i < bids.Count; i += 997) Assert.Equal(bids[i].Price * 908m / 1000m, expected[i].Price);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q2_selects_bids_on_auctions_that_are_multiples_of_the_modulo(int parallelism)
    {
        var expected = NexmarkQueries.Q2(EventArray.Value);
        var actual = await Run(new Q2Selection(), parallelism);
        AssertSameResults(expected, actual);
        Assert.NotEmpty(actual);
        Assert.All(actual, r => Assert.Equal(0, r.Auction % 123));
        var independent = EventArray.Value.Where(e => e.Bid is { Auction: var a } && a % 123 == 0).Count();
        Assert.Equal(independent, actual.Count);

        var other = await Run(new Q2Selection(), parallelism, ("auction-modulo", "7"));
        AssertSameResults(NexmarkQueries.Q2(EventArray.Value, 7), other);
        Assert.All(other, r => Assert.Equal(0, r.Auction % 7));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q5_finds_the_auctions_with_the_most_bids_per_sliding_window(int parallelism)
    {
        var expected = NexmarkQueries.Q5(EventArray.Value);
        var actual = await Run(new Q5HotItems(), parallelism);
        AssertSameResults(expected, actual);

        // Every window that has bids has a result, and each result's count is the true maximum of its window.
        var bids = EventArray.Value.Where(e => e.Bid is not null).Select(e => e.Bid!).ToList();
        var windows = actual.GroupBy(r => r.WindowStart).ToList();
        var firstStart = WindowStartOf(bids[0].DateTime, 2_000) - 8_000;
        var lastStart = WindowStartOf(bids[^1].DateTime, 2_000);
        Assert.Equal((lastStart - firstStart) / 2_000 + 1, windows.Count);
        foreach (var w in windows.Where((_, i) => i % 7 == 0))
        {
            var perAuction = bids.Where(b => b.DateTime >= w.Key && b.DateTime < w.Key + 10_000).GroupBy(b => b.Auction).ToDictionary(g => g.Key, g => (long)g.Count());
            var max = perAuction.Values.Max();
            Assert.Equal(perAuction.Where(kv => kv.Value == max).Select(kv => kv.Key).Order(), w.Select(r => r.Auction).Order());
            Assert.All(w, r => Assert.Equal((max, w.Key + 10_000), (r.Num, r.WindowEnd)));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q7_finds_the_highest_bids_per_tumbling_window(int parallelism)
    {
        var expected = NexmarkQueries.Q7(EventArray.Value);
        var actual = await Run(new Q7HighestBid(), parallelism);
        AssertSameResults(expected, actual);

        var bids = EventArray.Value.Where(e => e.Bid is not null).Select(e => e.Bid!).ToList();
        var maxByWindow = bids.GroupBy(b => WindowStartOf(b.DateTime, 10_000) + 10_000).ToDictionary(g => g.Key, g => g.Max(b => b.Price));
        Assert.Equal(maxByWindow.Keys.Order(), actual.Select(r => r.WindowEnd).Distinct().Order());
        foreach (var r in actual)
        {
            Assert.InRange(r.DateTime, r.WindowEnd - 10_000, r.WindowEnd - 1);
            Assert.Equal(maxByWindow[r.WindowEnd], r.Price);
            Assert.Contains(bids, b => b.Auction == r.Auction && b.Bidder == r.Bidder && b.Price == r.Price && b.DateTime == r.DateTime);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Q8_finds_persons_who_sold_in_the_window_they_registered_in(int parallelism)
    {
        var expected = NexmarkQueries.Q8(EventArray.Value);
        var actual = await Run(new Q8MonitorNewUsers(), parallelism);
        AssertSameResults(expected, actual);
        Assert.True(actual.Count >= 10, $"only {actual.Count} new users: the test data does not exercise the join");

        var persons = EventArray.Value.Where(e => e.Person is not null).Select(e => e.Person!).ToDictionary(p => p.Id);
        var auctions = EventArray.Value.Where(e => e.Auction is not null).Select(e => e.Auction!).ToList();
        foreach (var r in actual)
        {
            var p = persons[r.Id];
            Assert.Equal((p.Name, WindowStartOf(p.DateTime, 10_000)), (r.Name, r.StartTime));
            Assert.Contains(auctions, a => a.Seller == r.Id && WindowStartOf(a.DateTime, 10_000) == r.StartTime);
        }
        // A person who sold in a later window only is not reported.
        var sellersElsewhere = auctions.Where(a => persons.TryGetValue(a.Seller, out var p) && WindowStartOf(p.DateTime, 10_000) != WindowStartOf(a.DateTime, 10_000))
            .Select(a => a.Seller).ToHashSet();
        sellersElsewhere.ExceptWith(actual.Select(r => r.Id));
        Assert.NotEmpty(sellersElsewhere);
    }

    [Fact]
    public async Task A_job_built_from_parameters_writes_its_results_to_one_JSON_Lines_file()
    {
        var output = Path.Combine(Path.GetTempPath(), $"nexmark-q2-{Guid.NewGuid():N}.jsonl");
        try
        {
            var query = new Q2Selection();
            var job = query.Build(query.ParseParameters(new Dictionary<string, string>
            {
                ["events"] = "20000", ["rate"] = "1000", ["seed"] = "3", ["parallelism"] = "2", ["output"] = output,
            }));
            await using var runtime = LocalRuntime.Start();
            await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var lines = await File.ReadAllLinesAsync(output);
            Assert.False(File.Exists(output + ".1"));
            var parsed = lines.Select(l => System.Text.Json.JsonSerializer.Deserialize<Q2Result>(l, JsonDefaults.Options)!).ToList();
            AssertSameResults(NexmarkQueries.Q2(EventArray.Value[..20_000]), parsed);
            Assert.StartsWith("{\"auction\":", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void The_registry_lists_every_query_with_its_parameters_and_each_builds()
    {
        Assert.Equal(["nexmark-q0", "nexmark-q1", "nexmark-q2", "nexmark-q5", "nexmark-q7", "nexmark-q8"], NexmarkJobs.All.Select(j => j.Name));
        foreach (var job in NexmarkJobs.All)
        {
            var names = job.Parameters.Select(p => p.Name).ToList();
            Assert.Subset(names.ToHashSet(), new HashSet<string> { "events", "rate", "seed", "output", "parallelism" });
            var parameters = new JobParameters(new Dictionary<string, string> { ["output"] = "unused.jsonl", ["parallelism"] = "2" }, job.Parameters);
            Assert.Contains("nexmark-events", job.Build(parameters).Explain(), StringComparison.Ordinal);
            Assert.Throws<JobParameterException>(() => job.Build(new JobParameters(new Dictionary<string, string>(), job.Parameters)));
        }
        var q5 = new Q5HotItems();
        Assert.Throws<JobParameterException>(() => q5.Build(q5.ParseParameters(new Dictionary<string, string> { ["output"] = "x", ["window-slide"] = "0s" })));
    }
}
