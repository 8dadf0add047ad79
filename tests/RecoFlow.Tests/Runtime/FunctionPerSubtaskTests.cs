using RecoFlow.Api.Functions;
using RecoFlow.Api.State;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Time;
using RecoFlow.Api.Windows;
using RecoFlow.Connectors.Memory;
using RecoFlow.Runtime;

namespace RecoFlow.Tests.Runtime;

/// <summary>
/// Regression: one function instance given to the DSL ran in every parallel subtask, so state handles kept in fields
/// (set in OpenState) and the runtime context were those of whichever subtask opened last: keyed state was read and
/// written through another subtask's backend, concurrently. Each subtask must run its own copy (Flink deserialises
/// one per subtask).
/// </summary>
public sealed class FunctionPerSubtaskTests
{
    private sealed class RunningCount : KeyedProcessFunction<int, int, (int Key, long Count, int Subtask)>
    {
        private IValueState<long>? _count;

        public override void OpenState(IKeyedStateBackend<int> state) => _count = state.GetValueState(new ValueStateDescriptor<long>("count"));

        public override void ProcessElement(int value, IKeyedProcessContext<int> context, ICollector<(int Key, long Count, int Subtask)> output)
        {
            var n = _count!.Value + 1;
            _count.Update(n);
            output.Collect((value, n, Runtime.SubtaskIndex));
        }
    }

    private sealed class WindowSubtask : ProcessWindowFunction<int, (int Key, int Count, int Subtask), int, TimeWindow>
    {
        public override void Process(int key, IWindowContext<TimeWindow> context, IEnumerable<int> elements, ICollector<(int Key, int Count, int Subtask)> output) =>
            output.Collect((key, elements.Count(), Runtime.SubtaskIndex));
    }

    [Fact]
    public async Task Keyed_process_function_with_state_fields_counts_correctly_at_parallelism_2()
    {
        var input = Enumerable.Range(0, 40_000).Select(i => i % 64).ToList();
        var job = new StreamJob("per-subtask").WithDefaultParallelism(2);
        var sink = new CollectSink<(int Key, long Count, int Subtask)>();
        job.FromSource(new CollectionSource<int>(input, splits: 2), WatermarkStrategy<int>.NoWatermarks(), "numbers")
            .KeyBy(k => k)
            .Process(new RunningCount())
            .SinkTo(sink);

        await using var runtime = LocalRuntime.Start();
        await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var items = sink.Items;
        Assert.Equal(input.Count, items.Count);
        // Each key's running counts are exactly 1..n, all from one subtask, and both subtasks did work.
        foreach (var g in items.GroupBy(i => i.Key))
        {
            Assert.Equal(Enumerable.Range(1, input.Count / 64).Select(n => (long)n), g.Select(i => i.Count).Order());
            Assert.Single(g.Select(i => i.Subtask).Distinct());
        }
        Assert.Equal([0, 1], items.Select(i => i.Subtask).Distinct().Order());
    }

    [Fact]
    public async Task Process_window_function_sees_its_own_subtask_at_parallelism_2()
    {
        var input = Enumerable.Range(0, 10_000).ToList();
        var job = new StreamJob("per-subtask-window").WithDefaultParallelism(2);
        var sink = new CollectSink<(int Key, int Count, int Subtask)>();
        job.FromSource(new CollectionSource<int>(input, i => 1_000_000 + i, splits: 2), WatermarkStrategy<int>.ForMonotonousTimestamps(), "numbers")
            .KeyBy(i => i % 32)
            .Window(TumblingWindows<int>.OfEventTime(TimeSpan.FromSeconds(100)))
            .Process(new WindowSubtask())
            .SinkTo(sink);

        await using var runtime = LocalRuntime.Start();
        await runtime.Submit(job.Build()).WaitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var items = sink.Items;
        Assert.Equal(input.Count, items.Sum(i => i.Count));
        Assert.Equal([0, 1], items.Select(i => i.Subtask).Distinct().Order());
    }
}
