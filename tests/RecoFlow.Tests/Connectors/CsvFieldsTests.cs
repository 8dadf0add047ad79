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
