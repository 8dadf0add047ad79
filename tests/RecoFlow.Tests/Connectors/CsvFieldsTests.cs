using RecoFlow.Connectors.Files;

namespace RecoFlow.Tests.Connectors;

/// <summary>RFC 4180 fields of one CSV line.</summary>
public sealed class CsvFieldsTests
{
    [Theory]
    [InlineData("1,2,3", new[] { "1", "2", "3" })]
    [InlineData("a,,c", new[] { "a", "", "c" })]
    [InlineData("", new[] { "" })]
    [InlineData("1,\"American President, The (1995)\",Comedy|Drama", new[] { "1", "American President, The (1995)", "Comedy|Drama" })]
    [InlineData("\"say \"\"hi\"\"\",x", new[] { "say \"hi\"", "x" })]
    [InlineData("\"\",\"a,b\"", new[] { "", "a,b" })]
    public void Fields_follow_rfc_4180(string line, string[] expected) => Assert.Equal(expected, CsvFields.Split(line));

    [Theory]
    [InlineData("1,2", false)]
    [InlineData("1,\"a, b\"", false)]
    [InlineData("1,\"first line", true)]
    [InlineData("1,\"say \"\"hi\"\"", true)]
    [InlineData("1,\"say \"\"hi\"\"\"", false)]
    public void A_record_is_open_while_a_quoted_field_is(string text, bool open) => Assert.Equal(open, CsvFields.IsOpen(text));

    private sealed class Output : RecoFlow.Api.Connectors.ISourceOutput<string>
    {
        public List<string> Records { get; } = [];
        public void Collect(string splitId, string value, long timestamp) => Records.Add(value);
        public void SplitFinished(string splitId) { }
    }

    private sealed class DeadLetters : RecoFlow.Api.Operators.IDeadLetterOutput
    {
        public List<string> Reasons { get; } = [];
        public void Report(string reason, object? record, long timestamp) => Reasons.Add(reason);
    }

    [Fact]
    public void A_quoted_field_may_hold_line_breaks_and_a_checkpoint_falls_between_records()
    {
        var dir = Directory.CreateTempSubdirectory("csv").FullName;
        try
        {
            var path = Path.Combine(dir, "items.csv");
            File.WriteAllText(path, "id,text\n1,\"two\nlines\"\n2,plain\r\n3,\"three\r\nlines, with \"\"quotes\"\"\nend\"\n4,\"never closed\n5,x\n");
            var source = new CsvFileSource<string>([path], f => string.Join("|", f));
            var dead = new DeadLetters();
            var context = new RecoFlow.Api.Connectors.SourceContext(0, 1, new Dictionary<string, string>(), dead);
            var output = new Output();
            var splits = source.CreateSplits(context);
            using (var reader = source.CreateReader(context))
            {
                reader.AddSplits(splits);
                reader.Poll(output, 1);
                Assert.Equal(["1|two\nlines"], output.Records);
                splits = reader.SnapshotSplits();
            }
            // Resumed from the snapshot: the next record starts after both lines of the first.
            using (var resumed = source.CreateReader(context))
            {
                resumed.AddSplits(splits);
                while (resumed.Poll(output, 10) != RecoFlow.Api.Connectors.PollStatus.EndOfInput) { }
            }
            Assert.Equal(["1|two\nlines", "2|plain", "3|three\nlines, with \"quotes\"\nend"], output.Records);
            // The unclosed quote swallows the rest of the file: dead-lettered as unterminated, with its lines.
            var reason = Assert.Single(dead.Reasons);
            Assert.Contains(":8-9: unterminated record", reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_csv_source_reads_quoted_titles_with_commas()
    {
        var dir = Directory.CreateTempSubdirectory("csv").FullName;
        try
        {
            var path = Path.Combine(dir, "movies.csv");
            File.WriteAllLines(path, ["movieId,title,genres", "11,\"American President, The (1995)\",Comedy|Drama|Romance", "12,Dracula: Dead and Loving It (1995),Comedy|Horror"]);
            var job = new RecoFlow.Api.Streams.StreamJob("csv");
            var sink = new RecoFlow.Connectors.Memory.CollectSink<string>();
            job.FromSource(new CsvFileSource<string>([path], f => string.Join("|", f.Select(x => $"[{x}]"))), RecoFlow.Api.Time.WatermarkStrategy<string>.NoWatermarks(), "movies")
                .SinkTo(sink, "rows");
            await using (var runtime = RecoFlow.Runtime.LocalRuntime.Start())
                await runtime.Submit(job.Build()).Completion.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(["[11]|[American President, The (1995)]|[Comedy|Drama|Romance]", "[12]|[Dracula: Dead and Loving It (1995)]|[Comedy|Horror]"], sink.Items.Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
