using RecoFlow.Api.Functions;
using RecoFlow.Api.Operators;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Operators;

public sealed class WindowOperatorTests
{
    private sealed record Ev(string Key, long Ts, int Value = 1);

    private static readonly OutputTag<Ev> LateTag = new("late");

    private static OperatorHarness<Ev, (string Key, long Start, long End, long Sum)> Harness(StateBackendKind backend, WindowAssigner<Ev, TimeWindow> assigner, long latenessMs = 0,
        Trigger<Ev, TimeWindow>? trigger = null)
    {
        var settings = new WindowSettings<Ev, TimeWindow>(assigner, trigger ?? assigner.DefaultTrigger, latenessMs, LateTag);
        var sum = new AggregateFunction<Ev, long, long>(() => 0, (e, a) => a + e.Value, a => a, (a, b) => a + b);
        return new OperatorHarness<Ev, (string, long, long, long)>(
            () => new WindowOperator<string, Ev, long, long, (string, long, long, long), TimeWindow>(e => e.Key, settings, sum,
                WindowFunction<long, (string, long, long, long), string, TimeWindow>.FromSelector((k, w, s) => (k, w.Start, w.End, s))),
            keyType: typeof(string), stateBackend: backend).Open();
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Tumbling_window_fires_when_watermark_passes_its_end_and_survives_snapshot_restore(StateBackendKind backend)
    {
        using var h = Harness(backend, TumblingWindows<Ev>.OfEventTime(TimeSpan.FromSeconds(10)));
        h.ProcessElement(new Ev("a", 1_000), 1_000);
        h.ProcessElement(new Ev("a", 9_999), 9_999);
        h.ProcessElement(new Ev("b", 5_000), 5_000);
        h.ProcessElement(new Ev("a", 10_000), 10_000);
        h.SnapshotAndRestore();
        h.ProcessWatermark(9_998);
        Assert.Empty(h.Output);
        h.ProcessWatermark(9_999);
        Assert.Equal([("a", 0L, 10_000L, 2L), ("b", 0L, 10_000L, 1L)], h.OutputValues.OrderBy(o => o.Key).ToList());
        Assert.All(h.Output, o => Assert.Equal(9_999, o.Timestamp));
        h.ClearOutput();
        h.ProcessWatermark(20_000);
        Assert.Equal([("a", 10_000L, 20_000L, 1L)], h.OutputValues);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void A_pane_continued_after_restore_fires_once_with_every_record_and_is_cleaned_up(StateBackendKind backend)
    {
        // Records that join an existing pane register no timers again (the operator's fast path): the pane's timers,
        // registered with its first record, must still fire it after a restore, exactly once, and clear it.
        using var h = Harness(backend, TumblingWindows<Ev>.OfEventTime(TimeSpan.FromSeconds(10)), latenessMs: 5_000);
        h.ProcessElement(new Ev("a", 1_000), 1_000);
        h.SnapshotAndRestore();
        for (var t = 2_000; t < 10_000; t += 1_000) h.ProcessElement(new Ev("a", t), t);
        h.SnapshotAndRestore();
        h.ProcessElement(new Ev("a", 9_500), 9_500);
        h.ProcessWatermark(9_999);
        Assert.Equal([("a", 0L, 10_000L, 10L)], h.OutputValues);
        h.ClearOutput();
        h.ProcessElement(new Ev("a", 9_000), 9_000); // late but within lateness: fires again at once with the new count
        Assert.Equal([("a", 0L, 10_000L, 11L)], h.OutputValues);
        h.ClearOutput();
        h.ProcessWatermark(14_999); // cleanup time: the pane goes; a record after it is late
        h.ProcessElement(new Ev("a", 9_100), 9_100);
        Assert.Empty(h.Output);
        Assert.Single(h.SideOutput(LateTag));
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Sliding_window_assigns_each_record_to_size_over_slide_windows(StateBackendKind backend)
    {
        using var h = Harness(backend, SlidingWindows<Ev>.OfEventTime(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)));
        h.ProcessElement(new Ev("a", 7_000), 7_000);
        h.ProcessWatermark(long.MaxValue);
        Assert.Equal([("a", 0L, 10_000L, 1L), ("a", 5_000L, 15_000L, 1L)], h.OutputValues.OrderBy(o => o.Start).ToList());
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Session_windows_merge_when_gaps_are_bridged(StateBackendKind backend)
    {
        using var h = Harness(backend, SessionWindows<Ev>.WithEventTimeGap(TimeSpan.FromSeconds(3)));
        h.ProcessElement(new Ev("a", 1_000), 1_000);
        h.ProcessElement(new Ev("a", 7_000), 7_000);   // separate session [7000, 10000)
        h.ProcessElement(new Ev("a", 3_500), 3_500);   // bridges [1000,4000) and [3500,6500) but not 7000
        h.ProcessElement(new Ev("a", 6_000), 6_000);   // now [1000, 9000) overlaps [7000,10000): all one session
        h.SnapshotAndRestore();
        h.ProcessElement(new Ev("a", 20_000), 20_000);
        h.ProcessWatermark(long.MaxValue);
        Assert.Equal([("a", 1_000L, 10_000L, 4L), ("a", 20_000L, 23_000L, 1L)], h.OutputValues.OrderBy(o => o.Start).ToList());
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Allowed_lateness_refires_window_and_later_records_go_to_late_side_output(StateBackendKind backend)
    {
        using var h = Harness(backend, TumblingWindows<Ev>.OfEventTime(TimeSpan.FromSeconds(10)), latenessMs: 5_000);
        h.ProcessElement(new Ev("a", 1_000), 1_000);
        h.ProcessWatermark(10_000);
        Assert.Equal([("a", 0L, 10_000L, 1L)], h.OutputValues);
        h.ClearOutput();
        h.ProcessElement(new Ev("a", 2_000), 2_000);  // late but within lateness: fires again with the updated count
        Assert.Equal([("a", 0L, 10_000L, 2L)], h.OutputValues);
        h.ClearOutput();
        h.ProcessWatermark(14_999);                   // cleanup time 9,999 + 5,000 reached: window state is gone
        h.ProcessElement(new Ev("a", 3_000), 3_000);
        Assert.Empty(h.Output);
        Assert.Equal([new Ev("a", 3_000)], h.SideOutput(LateTag).Select(x => x.Value).ToList());
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Count_trigger_fires_every_n_records_and_purging_resets(StateBackendKind backend)
    {
        using var h = Harness(backend, TumblingWindows<Ev>.OfEventTime(TimeSpan.FromMinutes(1)), trigger: new PurgingTrigger<Ev, TimeWindow>(new CountTrigger<Ev, TimeWindow>(3)));
        for (var i = 0; i < 7; i++) h.ProcessElement(new Ev("a", 1_000 + i, i + 1), 1_000 + i);
        Assert.Equal([1L + 2 + 3, 4L + 5 + 6], h.OutputValues.Select(o => o.Sum).ToList());
        h.SnapshotAndRestore();
        h.ProcessElement(new Ev("a", 2_000, 100), 2_000);
        h.ProcessElement(new Ev("a", 2_001, 100), 2_001);
        Assert.Equal(7L + 100 + 100, h.OutputValues[^1].Sum);
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Continuous_event_time_trigger_fires_early_results(StateBackendKind backend)
    {
        using var h = Harness(backend, TumblingWindows<Ev>.OfEventTime(TimeSpan.FromSeconds(10)), trigger: new ContinuousEventTimeTrigger<Ev>(TimeSpan.FromSeconds(2)));
        h.ProcessElement(new Ev("a", 500), 500);
        h.ProcessWatermark(2_000);
        h.ProcessElement(new Ev("a", 2_500), 2_500);
        h.ProcessWatermark(4_000);
        h.ProcessWatermark(9_999);
        // early firings at 2 s and 4 s, then every 2 s of watermark progress (6 s, 8 s) and at the end of the window
        Assert.Equal([1L, 2L, 2L, 2L, 2L], h.OutputValues.Select(o => o.Sum).ToList());
    }

    [Theory, InlineData(StateBackendKind.Heap), InlineData(StateBackendKind.RocksDb)]
    public void Processing_time_tumbling_window_fires_on_the_clock(StateBackendKind backend)
    {
        using var h = Harness(backend, TumblingWindows<Ev>.OfProcessingTime(TimeSpan.FromSeconds(1)));
        h.SetProcessingTime(100);
        h.ProcessElement(new Ev("a", 0));
        h.ProcessElement(new Ev("b", 0));
        h.SetProcessingTime(998);
        Assert.Empty(h.Output);
        h.SetProcessingTime(1_000);
        Assert.Equal(2, h.Output.Count);
        Assert.All(h.OutputValues, o => Assert.Equal((0L, 1_000L), (o.Start, o.End)));
    }
}
