using System.Collections.Concurrent;
using System.Linq.Expressions;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;

namespace RecoFlow.Tests.Api;

/// <summary>
/// The deep copy every parallel subtask gets of the job's operators and functions (<see cref="SubtaskCopy"/>): nothing
/// mutable is shared with the original, immutable values and thread-safe services are, and the copy keeps the shape of
/// the graph (aliases and cycles).
/// </summary>
public sealed class SubtaskCopyTests
{
    private sealed class Node
    {
        public Node? Next;
        public List<int> Values = [];
    }

    private struct Holder
    {
        public List<string> Names;
        public int Count;
    }

    private sealed class Everything
    {
        public List<int> List = [1, 2];
        public Dictionary<string, List<int>> Map = new(StringComparer.Ordinal) { ["a"] = [1] };
        public int[] Numbers = [1, 2, 3];
        public Node[] Nodes = [new(), new()];
        public int[,] Grid = { { 1, 2 }, { 3, 4 } };
        public List<int>[,] Lists = { { [1], [2] } };
        public Holder Struct = new() { Names = ["x"], Count = 1 };
        public object Boxed = new Holder { Names = ["y"] };
        public Node Nested = new() { Values = [7] };
        public Random Random = new(3);
    }

    [Fact]
    public void Collections_arrays_structs_and_nested_objects_are_copied_with_their_contents()
    {
        var original = new Everything();
        var copy = SubtaskCopy.Of(original);

        Assert.NotSame(original, copy);
        Assert.Empty(SharedMutableObjects.Between(original, copy));
        Assert.Equal(original.List, copy.List);
        Assert.Equal(original.Map["a"], copy.Map["a"]);
        Assert.Equal(original.Numbers, copy.Numbers);
        Assert.Equal(2, copy.Nodes.Length);
        Assert.Equal(4, copy.Grid[1, 1]);
        Assert.Equal([2], copy.Lists[0, 1]);
        Assert.Equal(["x"], copy.Struct.Names);
        Assert.Equal(1, copy.Struct.Count);
        Assert.Equal(["y"], ((Holder)copy.Boxed).Names);
        Assert.Equal([7], copy.Nested.Values);
        Assert.Equal(original.Random.Next(), copy.Random.Next());

        copy.List.Add(3);
        copy.Map["a"].Add(2);
        copy.Map["b"] = [];
        copy.Struct.Names.Add("z");
        copy.Lists[0, 0].Add(9);
        Assert.Equal([1, 2], original.List);
        Assert.Equal([1], original.Map["a"]);
        Assert.False(original.Map.ContainsKey("b"));
        Assert.Equal(["x"], original.Struct.Names);
        Assert.Equal([1], original.Lists[0, 0]);
    }

    [Fact]
    public void Cycles_and_aliases_keep_their_shape_in_the_copy()
    {
        var a = new Node();
        var b = new Node { Next = a, Values = a.Values };
        a.Next = b;

        var copy = SubtaskCopy.Of(a);

        Assert.NotSame(a, copy);
        Assert.Same(copy, copy.Next!.Next);
        Assert.Same(copy.Values, copy.Next.Values);
        Assert.NotSame(a.Values, copy.Values);
        Assert.Empty(SharedMutableObjects.Between(a, copy));
    }

    private sealed class Counter
    {
        private readonly List<int> _seen = [];
        public int Count => _seen.Count;
        public int See(int x) { _seen.Add(x); return x; }
    }

    [Fact]
    public void State_a_lambda_captured_is_copied_with_the_lambda()
    {
        var seen = new List<int>();
        int calls = 0;
        Func<int, int> f = x => { seen.Add(x); calls++; return x; };

        var copy = SubtaskCopy.Of(f);
        Assert.Equal(5, copy(5));

        Assert.Empty(seen);
        Assert.Equal(0, calls);
        Assert.Empty(SharedMutableObjects.Between(f, copy));
    }

    [Fact]
    public void A_delegate_to_an_instance_method_is_bound_to_a_copy_of_its_object_and_multicast_delegates_copy_every_call()
    {
        var counter = new Counter();
        var other = new Counter();
        Func<int, int> bound = counter.See;
        Func<int, int> both = (Func<int, int>)Delegate.Combine(bound, new Func<int, int>(other.See))!;

        SubtaskCopy.Of(bound)(1);
        SubtaskCopy.Of(both)(2);

        Assert.Equal(0, counter.Count);
        Assert.Equal(0, other.Count);
        Assert.Equal(2, SubtaskCopy.Of(both).GetInvocationList().Length);
    }

    private sealed class SelfCalling
    {
        public readonly List<int> Seen = [];
        public Action<int>? Callback;
        public SelfCalling() => Callback = x => Seen.Add(x);
    }

    [Fact]
    public void A_delegate_the_object_holds_to_itself_is_bound_to_the_copy()
    {
        var original = new SelfCalling();
        var copy = SubtaskCopy.Of(original);

        copy.Callback!(1);

        Assert.Equal([1], copy.Seen);
        Assert.Empty(original.Seen);
    }

    [Fact]
    public void A_compiled_expression_with_captured_state_is_copied()
    {
        var seen = new List<int>();
        var x = Expression.Parameter(typeof(int));
        var add = Expression.Lambda<Action<int>>(Expression.Call(Expression.Constant(seen), typeof(List<int>).GetMethod(nameof(List<int>.Add))!, x), x).Compile();

        SubtaskCopy.Of(add)(1);

        Assert.Empty(seen);
    }

    private sealed record Settings(int K, string Name, TimeSpan Window);

    private sealed record SettingsWithList(int K, List<int> Items);

    [SharedAcrossSubtasks]
    private sealed class Probe
    {
        public int Calls { get; set; }
    }

    private sealed class Shares
    {
        public Settings Settings = new(3, "s", TimeSpan.FromSeconds(1));
        public SettingsWithList WithList = new(1, [1]);
        public string Text = "text";
        public Type Type = typeof(int);
        public int[] Empty = [];
        public Func<int, int> Static = static x => x + 1;
        public Probe Probe = new();
        public SemaphoreSlim Gate = new(1);
        public CancellationTokenSource Cancel = new();
        public CancellationToken Token;
        public ConcurrentDictionary<string, int> Cache = new();
        public OutputTag<int> Tag = new("tag");
        public StringComparer Comparer = StringComparer.Ordinal;
    }

    [Fact]
    public void Immutable_values_marked_types_and_thread_safe_services_are_handed_over_as_they_are()
    {
        var original = new Shares();
        original.Token = original.Cancel.Token;
        var copy = SubtaskCopy.Of(original);

        Assert.Same(original.Settings, copy.Settings);
        Assert.Same(original.Text, copy.Text);
        Assert.Same(original.Type, copy.Type);
        Assert.Same(original.Empty, copy.Empty);
        Assert.Same(original.Static, copy.Static);
        Assert.Same(original.Probe, copy.Probe);
        Assert.Same(original.Gate, copy.Gate);
        Assert.Same(original.Cancel, copy.Cancel);
        Assert.Equal(original.Token, copy.Token);
        Assert.Same(original.Cache, copy.Cache);
        Assert.Same(original.Tag, copy.Tag);
        Assert.Same(original.Comparer, copy.Comparer);
        // A record with only readonly fields is still copied when one of them holds something mutable.
        Assert.NotSame(original.WithList, copy.WithList);
        Assert.NotSame(original.WithList.Items, copy.WithList.Items);
        Assert.Equal(original.WithList.Items, copy.WithList.Items);
    }

    private sealed class HoldsAFile(string path)
    {
        public FileStream File = new(path, FileMode.Create);
    }

    [Fact]
    public void An_open_file_cannot_be_copied_and_the_error_says_where_to_open_it()
    {
        var path = Path.GetTempFileName();
        try
        {
            var holder = new HoldsAFile(path);
            using var file = holder.File;
            var e = Assert.Throws<SubtaskCopyException>(() => SubtaskCopy.Of(holder));
            Assert.Contains("Open()", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class HoldsAWeakReference
    {
        public WeakReference<List<int>> Cache = new([]);
    }

    [Fact]
    public void An_object_with_a_finalizer_cannot_be_copied()
    {
        var e = Assert.Throws<SubtaskCopyException>(() => SubtaskCopy.Of(new HoldsAWeakReference()));
        Assert.Contains("finalizer", e.Message);
    }

    private sealed class ScratchFunction : ProcessFunction<int, int>
    {
        private readonly List<int> _scratch = [];
        public IReadOnlyList<int> Scratch => _scratch;

        public override void ProcessElement(int value, IProcessContext context, ICollector<int> output)
        {
            _scratch.Add(value);
            output.Collect(_scratch.Count);
        }
    }

    [Fact]
    public void A_function_copied_for_a_subtask_has_its_own_scratch_created_in_the_constructor()
    {
        var function = new ScratchFunction();
        var copy = RichFunction.CopyForSubtask(function);

        copy.ProcessElement(1, null!, new Collector());

        Assert.Single(copy.Scratch);
        Assert.Empty(function.Scratch);
        Assert.Empty(SharedMutableObjects.Between(function, copy));
    }

    private sealed class Collector : ICollector<int>
    {
        public void Collect(int value) { }
    }
}
