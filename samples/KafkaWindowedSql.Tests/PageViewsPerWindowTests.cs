using Microsoft.Data.Sqlite;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.TestKit;

namespace KafkaWindowedSql.Tests;

public sealed class PageViewsPerWindowTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("recoflow-sample-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Counts_per_page_and_window_land_in_the_sqlite_table()
    {
        // The job's dataflow and its real SQL sink (a SQLite file); an in-memory source stands in for the Kafka topic.
        var connection = $"Data Source={Path.Combine(_directory, "views.db")}";
        var job = new StreamJob("page-views-test");
        PageView[] views = [new("/a", "u1", 1_000), new("/b", "u2", 2_000), new("/a", "u3", 9_000), new("/a", "u1", 12_000)];
        PageViewsPerWindow.Pipeline(job, new CollectionSource<PageView>(views), TimeSpan.FromSeconds(10))
            .SinkTo(PageViewsPerWindow.Sink(connection), "page_views table");

        await JobTestDriver.RunAsync(job, TimeSpan.FromMinutes(1));

        await using var db = new SqliteConnection(connection);
        await db.OpenAsync();
        await using var query = db.CreateCommand();
        query.CommandText = $"SELECT url, window_start, window_end, views FROM {PageViewsPerWindow.Table} ORDER BY url, window_start";
        var rows = new List<PageCount>();
        await using (var reader = await query.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(new PageCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        Assert.Equal([new PageCount("/a", 0, 10_000, 2), new PageCount("/a", 10_000, 20_000, 1), new PageCount("/b", 0, 10_000, 1)], rows);
    }

    [Fact]
    public void The_window_counts_survive_a_snapshot_and_restore()
    {
        var assigner = TumblingWindows<PageView>.OfEventTime(TimeSpan.FromSeconds(10));
        using var harness = new OperatorHarness<PageView, PageCount>(
            () => new WindowOperator<string, PageView, long, long, PageCount, TimeWindow>(v => v.Url,
                new WindowSettings<PageView, TimeWindow>(assigner, assigner.DefaultTrigger, 0, null), new CountAggregate<PageView>(),
                WindowFunction<long, PageCount, string, TimeWindow>.FromSelector((url, w, n) => new PageCount(url, w.Start, w.End, n))),
            keyType: typeof(string)).Open();

        harness.ProcessElement(new PageView("/a", "u1", 1_000), 1_000);
        harness.ProcessElement(new PageView("/b", "u2", 2_000), 2_000);
        harness.SnapshotAndRestore();
        harness.ProcessElement(new PageView("/a", "u3", 9_000), 9_000);
        harness.ProcessWatermark(9_999);

        Assert.Equal([new PageCount("/a", 0, 10_000, 2), new PageCount("/b", 0, 10_000, 1)],
            harness.OutputValues.OrderBy(c => c.Url, StringComparer.Ordinal).ToList());
    }
}
