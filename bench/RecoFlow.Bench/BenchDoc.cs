namespace RecoFlow.Bench;

/// <summary>What the benchmark commands share: the median of runs, and rewriting one marked section of the benchmarks doc.</summary>
internal static class BenchDoc
{
    public static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>
    /// Replaces the text between <c>&lt;!-- NAME:begin --&gt;</c> and <c>&lt;!-- NAME:end --&gt;</c> with
    /// <paramref name="body"/>; when the markers are absent, appends the section (under <paramref name="heading"/>, if given).
    /// </summary>
    public static void WriteSection(string path, string name, string body, string? heading = null)
    {
        string begin = $"<!-- {name}:begin -->", end = $"<!-- {name}:end -->";
        var block = $"{begin}\n{body}{end}";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
        int b = text.IndexOf(begin, StringComparison.Ordinal), e = text.IndexOf(end, StringComparison.Ordinal);
        text = b >= 0 && e > b
            ? text[..b] + block + text[(e + end.Length)..]
            : text.TrimEnd() + "\n\n" + (heading is null ? "" : $"## {heading}\n\n") + block + "\n";
        File.WriteAllText(path, text);
    }
}
