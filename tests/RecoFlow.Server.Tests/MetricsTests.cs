using System.Globalization;
using System.Text.RegularExpressions;

namespace RecoFlow.Server.Tests;

/// <summary>A small parser of the Prometheus text exposition format (0.0.4): samples with labels, HELP and TYPE lines.</summary>
public static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+(?<ts>-?\d+))?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<k>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>(\\.|[^"\\])*)"\s*,?""")]
    private static partial Regex Label();

    public static (IReadOnlyList<Sample> Samples, IReadOnlyDictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                Assert.True(parts.Length == 4, $"line {lineNo}: bad TYPE line '{line}'");
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"line {lineNo} is not a sample: '{line}'");
            var labels = new Dictionary<string, string>();
            if (m.Groups["labels"].Success)
            {
                var rest = m.Groups["labels"].Value;
                var consumed = 0;
                foreach (Match l in Label().Matches(rest))
                {
                    Assert.Equal(consumed, l.Index);
                    labels[l.Groups["k"].Value] = Regex.Unescape(l.Groups["v"].Value);
                    consumed = l.Index + l.Length;
                }
                Assert.True(consumed == rest.Length, $"line {lineNo}: bad labels '{rest}'");
            }
            var v = m.Groups["value"].Value;
            var value = v switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(m.Groups["name"].Value, labels, value));
        }
        return (samples, types);
    }
}

[Collection(NodeCollection.Name)]
public sealed class MetricsTests(NodeFixture node)
{
    [Fact]
    public void The_parser_reads_the_format()
    {
        var (samples, types) = PrometheusText.Parse("# HELP a_total x\n# TYPE a_total counter\na_total{job=\"j\\\"1\",task=\"1.0\"} 12 1700000000000\nb_bucket{le=\"+Inf\"} 3\n");
        Assert.Equal("counter", types["a_total"]);
        Assert.Equal(12, samples[0].Value);
        Assert.Equal("j\"1", samples[0].Labels["job"]);
        Assert.Equal("+Inf", samples[1].Labels["le"]);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_task_records_dead_letters_and_latency()
    {
        var (samples, types) = await Eventually.Until(async () =>
            {
                var text = await node.Http.GetStringAsync("metrics");
                return PrometheusText.Parse(text);
            },
            p => p.Samples.Any(s => s.Name.StartsWith("recoflow_latency", StringComparison.Ordinal) && s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Value > 0)
                 && p.Samples.Any(s => s.Name == "recoflow_task_records_out_total" && s.Value > 0),
            what: "latency samples and records out");

        var recordsIn = samples.Where(s => s.Name == "recoflow_task_records_in_total" && s.Labels.GetValueOrDefault("job_id") == node.YsbJobId).ToList();
        Assert.NotEmpty(recordsIn);
        Assert.All(recordsIn, s => Assert.True(s.Labels.ContainsKey("task") && s.Labels.ContainsKey("operator")));
        Assert.Contains(recordsIn, s => s.Value > 0);
        Assert.Equal("counter", types["recoflow_task_records_in_total"]);
        Assert.Contains(samples, s => s.Name == "recoflow_task_records_out_total" && s.Labels.GetValueOrDefault("job_id") == node.YsbJobId);
        Assert.Contains(samples, s => s.Name == "recoflow_task_busy_time_seconds_total");
        Assert.Contains(samples, s => s.Name == "recoflow_job_dead_letters_total" && s.Labels.GetValueOrDefault("job_id") == node.YsbJobId);
        // Prometheus conventions: no label named job (the scrape target's own), seconds, _total on counters.
        Assert.DoesNotContain(samples, s => s.Labels.ContainsKey("job") || s.Labels.ContainsKey("exported_job"));
        Assert.All(recordsIn, s => Assert.Equal("live-ysb", s.Labels["job_name"]));
        Assert.Contains(samples, s => s.Name == "recoflow_job_restarts_total" && s.Labels.GetValueOrDefault("job_id") == node.YsbJobId && s.Value == 0);
        Assert.Equal(["completed", "failed"], samples.Where(s => s.Name == "recoflow_job_checkpoints_total" && s.Labels.GetValueOrDefault("job_id") == node.YsbJobId)
            .Select(s => s.Labels["status"]).Order());
        Assert.Contains(samples, s => s.Name == "recoflow_task_watermark_lag_seconds");

        var histogram = types.Single(t => t.Key.StartsWith("recoflow_latency", StringComparison.Ordinal) && t.Value == "histogram").Key;
        Assert.Equal("recoflow_latency_seconds", histogram);
        var buckets = samples.Where(s => s.Name == histogram + "_bucket").ToList();
        Assert.True(buckets.Count >= 2);
        Assert.Contains(buckets, b => b.Labels["le"] == "+Inf");
        var count = samples.Single(s => s.Name == histogram + "_count").Value;
        Assert.Equal(count, buckets.Single(b => b.Labels["le"] == "+Inf").Value);
        Assert.Contains(samples, s => s.Name == histogram + "_sum");
        Assert.Contains(buckets, b => b.Labels["le"] == "0.1"); // buckets in seconds, not milliseconds
    }

    [Fact]
    public void The_grafana_dashboard_queries_only_series_the_docs_list()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "RecoFlow.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root.FullName, "cluster-config", "grafana", "recoflow-dashboard.json"))).RootElement;
        var exprs = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        Assert.NotEmpty(exprs);
        var used = exprs.SelectMany(e => Regex.Matches(e, "recoflow_[a-z_]+").Select(m => m.Value))
            .Select(n => n.EndsWith("_bucket", StringComparison.Ordinal) ? n[..^"_bucket".Length] : n).ToHashSet();
        var documented = Regex.Matches(File.ReadAllText(Path.Combine(root.FullName, "docs", "http-api.md")), "`(recoflow_[a-z_]+)`").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.All(used, n => Assert.Contains(n, documented));
        Assert.Contains("recoflow_latency_seconds", used);
    }
}
