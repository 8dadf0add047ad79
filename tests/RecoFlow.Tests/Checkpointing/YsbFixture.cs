using System.Text.Json;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Ysb;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Checkpointing;

/// <summary>YSB input files and the independently computed expected counts, shared by the recovery tests.</summary>
public sealed class YsbFixture : IDisposable
{
    public YsbFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("ysb-ckpt").FullName;
        var table = YsbData.Campaigns();
        Campaigns = Path.Combine(Directory, "campaigns.csv");
        YsbData.WriteCampaigns(Campaigns, table);
        var events = YsbData.Generate(1_000_000, 11, table).ToList();
        Input = Path.Combine(Directory, "events.jsonl");
        YsbData.WriteEvents(Input, events);
        Expected = YsbData.ExpectedCounts(events, table.ToDictionary(t => t.Ad, t => t.Campaign), 10_000, 5_000, watermarkEvery: RuntimeSettings.Default.PollSize);
    }

    public string Directory { get; }
    public string Input { get; }
    public string Campaigns { get; }
    public Dictionary<(string Campaign, long WindowStart), long> Expected { get; }

    /// <summary>Asserts that the committed part files of <paramref name="outputDir"/> hold exactly the expected windows, each once.</summary>
    public void AssertCommittedOutputExact(string outputDir) => AssertCommittedOutput(outputDir, allowRepeats: false);

    /// <summary>
    /// As <see cref="AssertCommittedOutputExact"/>, but a window may appear more than once (with the same count): what
    /// recovery from an older checkpoint than the last committed one gives.
    /// </summary>
    public void AssertCommittedOutput(string outputDir, bool allowRepeats)
    {
        var files = CommittedFiles.List(outputDir);
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.Matches("^part-", Path.GetFileName(f)));
        var seen = new Dictionary<(string, long), long>();
        foreach (var line in CommittedFiles.ReadLines(outputDir))
        {
            var e = JsonDocument.Parse(line).RootElement;
            var key = (e.GetProperty("campaign_id").GetString()!, e.GetProperty("window_start").GetInt64());
            var count = e.GetProperty("count").GetInt64();
            if (seen.TryGetValue(key, out var before))
            {
                Assert.True(allowRepeats, $"window {key} committed twice");
                Assert.Equal(before, count);
            }
            seen[key] = count;
        }
        var missing = Expected.Keys.Where(k => !seen.ContainsKey(k)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"{Expected.Count - seen.Count(k => Expected.ContainsKey(k.Key))} windows missing, e.g. {string.Join(", ", missing)}; files: " +
            string.Join(", ", System.IO.Directory.EnumerateFiles(outputDir).Select(f => $"{Path.GetFileName(f)} ({File.ReadLines(f).Count()} lines)")));
        var extra = seen.Keys.Where(k => !Expected.ContainsKey(k)).Take(5).ToList();
        Assert.True(extra.Count == 0, $"unexpected windows, e.g. {string.Join(", ", extra)}");
        var wrong = Expected.Where(kv => seen[kv.Key] != kv.Value).Take(5).Select(kv => $"{kv.Key}: expected {kv.Value}, got {seen[kv.Key]}").ToList();
        Assert.True(wrong.Count == 0, "wrong counts: " + string.Join("; ", wrong));
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
