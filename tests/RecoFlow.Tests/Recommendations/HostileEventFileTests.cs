using System.Text;
using System.Text.Json;
using RecoFlow.Api;
using RecoFlow.Connectors.Files;
using RecoFlow.Jobs.Recommendations;
using RecoFlow.TestKit;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// The recommendation job's file source path against hostile lines: each bad line is a dead letter with its reason
/// (the source's for bytes that are not UTF-8, the validation step's for the rest), the valid events are kept and the
/// job finishes.
/// </summary>
public sealed class HostileEventFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reco-hostile").FullName;

    private static string Event(string id, string user = "alice", string extra = "") =>
        "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"item_id\":\"item-7\",\"type\":\"click\",\"ts\":1700000000000" + extra
        + ",\"consent\":{\"personalization\":true}}";

    [Fact]
    public async Task Bad_lines_are_dead_letters_with_their_reason_and_the_valid_events_are_kept()
    {
        var input = Path.Combine(_dir, "events.jsonl");
        using (var f = File.Create(input))
        {
            void Line(byte[] bytes)
            {
                f.Write(bytes);
                f.WriteByte((byte)'\n');
            }
            void Text(string line) => Line(Encoding.UTF8.GetBytes(line));
            Text(Event("ok-1"));
            var bad = Encoding.UTF8.GetBytes(Event("utf8", user: "XX"));
            var at = Array.IndexOf(bad, (byte)'X');
            bad[at] = 0xC3;
            bad[at + 1] = 0x28;
            Line(bad);
            Text("{\"event_id\":" + new string('[', 10_000) + new string(']', 10_000) + "}");
            Text("""{"event_id":"wrong","user_id":true,"item_id":"i","type":"click","ts":1}""");
            Text(Event("unknown", extra: ",\"referrer\":\"https://example.com\""));
            Text(Event("huge", user: new string('u', 10 << 20)));
            Text(Event("ok-2", user: "bob"));
        }
        var output = Path.Combine(_dir, "recs.jsonl");
        var rejected = Path.Combine(_dir, "rejected.jsonl");
        var definition = new RecommendationJob();
        var job = definition.Build(new JobParameters(new Dictionary<string, string>
        {
            ["input"] = input, ["output"] = output, ["rejected-output"] = rejected, ["publish-interval"] = "30s",
        }, definition.Parameters));

        var run = await JobTestDriver.RunAsync(job);

        Assert.Equal(["ok-1", "ok-2"], File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event_id").GetString()).Order());
        var reasons = run.DeadLetters.Select(d => d.Reason).ToList();
        Assert.Equal(5, reasons.Count);
        var offset = Event("utf8", user: "XX").IndexOf("XX", StringComparison.Ordinal);
        Assert.Single(reasons, r => r.EndsWith($":2: line is not valid UTF-8 (invalid bytes at offset {offset})", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.StartsWith("MalformedJson at '$'", StringComparison.Ordinal) && r.Contains("depth", StringComparison.Ordinal));
        Assert.Single(reasons, r => r == "WrongType at 'user_id': must be a string or an integer");
        Assert.Single(reasons, r => r == "UnknownField at 'referrer': field is not part of the schema");
        Assert.Single(reasons, r => r.StartsWith("TooLarge at '$'", StringComparison.Ordinal));
        // The validation step's refusals are in the rejected-output file too (the source's are not: they never parse).
        Assert.Equal(4, File.ReadAllLines(rejected).Length);
    }

    [Fact]
    public void The_line_reader_skips_a_bom_and_reports_long_and_non_utf8_lines_without_buffering_them()
    {
        var bytes = new List<byte>(Encoding.UTF8.GetPreamble());
        bytes.AddRange("first\r\n"u8.ToArray());
        bytes.AddRange(Enumerable.Repeat((byte)'x', 300_000));
        bytes.Add((byte)'\n');
        bytes.AddRange([(byte)'b', (byte)'a', (byte)'d', 0xFF, (byte)'\n']);
        bytes.AddRange("\nlast"u8.ToArray());
        using var reader = new Utf8LineReader(new MemoryStream([.. bytes]), maxLineBytes: 100_000);
        var lines = new List<(string Text, string? Error)>();
        while (reader.ReadLine(out var text, out var error)) lines.Add((text, error));

        Assert.Equal(5, lines.Count);
        Assert.Equal(("first", null), lines[0]);
        Assert.Equal("line of 300000 bytes is longer than 100000", lines[1].Error);
        Assert.Equal(Utf8LineReader.ShownPrefixBytes, lines[1].Text.Length);
        Assert.Equal("line is not valid UTF-8 (invalid bytes at offset 3)", lines[2].Error);
        Assert.Equal(("", null), lines[3]);
        Assert.Equal(("last", null), lines[4]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
