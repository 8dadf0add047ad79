using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RecoFlow.Connectors.Kafka;
using RecoFlow.Cli;

namespace RecoFlow.Recommendations.Cli;

/// <summary>
/// <c>recoflow models list</c> and <c>recoflow models rollback|resume</c>: the recommendation job's model versions (from
/// its <c>versions-output</c> file or <c>versions-topic</c>) and its model commands (appended to its control file or
/// produced to its control topic). Formats in docs/events.md.
/// </summary>
public static class ModelsCommand
{
    /// <summary>One model version as the job's scoring subtasks last reported it, summed over the subtasks.</summary>
    public sealed record VersionSummary(long Version, string Kind, string Status, long CutMs, long ActivatedMs, int Items, long Lists, long Hits)
    {
        public double HitRate => Lists == 0 ? 0 : (double)Hits / Lists;
    }

    public static Command Create(TextWriter output)
    {
        var versionsFile = new Option<string?>("--versions") { Description = "the job's versions-output file (JSON Lines)" };
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (with --topic: the job's versions-topic)" };
        var topic = new Option<string?>("--topic") { Description = "the job's versions-topic" };
        var json = new Option<bool>("--json") { Description = "print JSON Lines, one version per line" };
        var list = new Command("list", "list the job's model versions with their online metrics (hit rate, lists served), kind and publish time") { versionsFile, bootstrap, topic, json };
        list.SetAction(async (r, ct) =>
        {
            IReadOnlyList<string> lines;
            if (r.GetValue(versionsFile) is { } file)
            {
                if (!File.Exists(file)) throw new UsageException($"--versions: file not found: {file}");
                lines = await File.ReadAllLinesAsync(file, ct);
            }
            else if (r.GetValue(bootstrap) is { } b && r.GetValue(topic) is { } t) lines = await KafkaTools.ReadToEndAsync(b, t, ct);
            else throw new UsageException("give --versions FILE, or --bootstrap and --topic");
            Print(Summarize(lines), r.GetValue(json), output);
            return 0;
        });

        var rollback = CommandToJob("rollback", "roll the running job's model back to version N and hold it there (until 'models resume')", output, "rollback_to", "resume");
        var resume = CommandToJob("resume", "re-apply the versions a rollback undid and release the hold", output, null, "resume");
        var diversityRollback = CommandToJob("diversity-rollback", "set the diversity loop's θ back to its version N and hold it there (until 'models diversity-resume')", output, "diversity_rollback_to", "diversity_resume");
        var diversityResume = CommandToJob("diversity-resume", "let the diversity loop move θ again", output, null, "diversity_resume");
        return new Command("models", "the recommendation job's model versions: list them, roll back, resume; the same for the diversity loop's θ")
            { list, rollback, resume, diversityRollback, diversityResume };
    }

    /// <param name="versionKey">The command's JSON key for the version argument, or null for a command without one.</param>
    /// <param name="flagKey">Without a version: the command's JSON key set to true.</param>
    private static Command CommandToJob(string name, string description, TextWriter output, string? versionKey, string flagKey)
    {
        bool withVersion = versionKey is not null;
        var version = new Argument<long>("version") { Description = "the version to roll back to (0: no model)" };
        var control = new Option<string?>("--control") { Description = "the job's control file (the line is appended)" };
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (with --topic: the job's control-topic)" };
        var topic = new Option<string?>("--topic") { Description = "the job's control-topic" };
        var cmd = new Command(name, description) { control, bootstrap, topic };
        if (withVersion) cmd.Arguments.Add(version);
        cmd.SetAction(async (r, ct) =>
        {
            string line;
            if (withVersion)
            {
                long v = r.GetValue(version);
                if (v < 0) throw new UsageException("the version must not be negative");
                line = JsonSerializer.Serialize(new Dictionary<string, long> { [versionKey!] = v });
            }
            else line = JsonSerializer.Serialize(new Dictionary<string, bool> { [flagKey] = true });
            if (r.GetValue(control) is { } file)
            {
                await AppendLineAsync(file, line, ct);
                output.WriteLine($"appended {line} to {file}");
            }
            else if (r.GetValue(bootstrap) is { } b && r.GetValue(topic) is { } t)
            {
                await KafkaTools.ProduceOneAsync(b, t, line, ct);
                output.WriteLine($"produced {line} to {t}");
            }
            else throw new UsageException("give --control FILE, or --bootstrap and --topic");
            return 0;
        });
        return cmd;
    }

    /// <summary>Appends one line; a partial last line (a writer died mid-line) is ended first so the command stays a line of its own.</summary>
    public static async Task AppendLineAsync(string file, string line, CancellationToken ct)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is not null) Directory.CreateDirectory(dir);
        await using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        bool needsNewline = false;
        if (stream.Length > 0)
        {
            await using var probe = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            probe.Seek(-1, SeekOrigin.End);
            needsNewline = probe.ReadByte() != '\n';
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes((needsNewline ? "\n" : "") + line + "\n");
        await stream.WriteAsync(bytes, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>
    /// The versions in a stream of version records: per (scoring subtask, version) the last record counts; lists and
    /// hits are summed over the subtasks, kind, status and times come from the latest record. Lines that are not
    /// version records are skipped.
    /// </summary>
    public static IReadOnlyList<VersionSummary> Summarize(IEnumerable<string> lines)
    {
        var last = new Dictionary<(int Subtask, long Version), (long Order, JsonElement Record)>();
        long order = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement e;
            try
            {
                using var doc = JsonDocument.Parse(line);
                e = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("version", out var v) || !e.TryGetProperty("subtask", out var s)) continue;
            last[(s.GetInt32(), v.GetInt64())] = (order++, e);
        }
        return last.GroupBy(kv => kv.Key.Version).Select(g =>
        {
            var latest = g.MaxBy(kv => kv.Value.Order).Value.Record;
            return new VersionSummary(g.Key, latest.GetProperty("kind").GetString() ?? "", latest.GetProperty("status").GetString() ?? "",
                latest.GetProperty("cut_ms").GetInt64(), g.Min(kv => kv.Value.Record.GetProperty("activated_ms").GetInt64()),
                latest.GetProperty("items").GetInt32(), g.Sum(kv => kv.Value.Record.GetProperty("lists").GetInt64()), g.Sum(kv => kv.Value.Record.GetProperty("hits").GetInt64()));
        }).OrderBy(v => v.Version).ToList();
    }

    private static void Print(IReadOnlyList<VersionSummary> versions, bool json, TextWriter output)
    {
        if (json)
        {
            foreach (var v in versions)
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    version = v.Version, kind = v.Kind, status = v.Status, cut_ms = v.CutMs, activated_ms = v.ActivatedMs,
                    items = v.Items, lists = v.Lists, hits = v.Hits, hit_rate = Math.Round(v.HitRate, 6),
                }));
            return;
        }
        if (versions.Count == 0)
        {
            output.WriteLine("no model versions reported yet");
            return;
        }
        output.WriteLine($"{"version",8}  {"kind",-7} {"status",-12} {"published (event time)",-24} {"items",7} {"lists",9} {"hits",8} {"hit rate",8}");
        foreach (var v in versions)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{v.Version,8}  {v.Kind,-7} {v.Status,-12} {Time(v.CutMs),-24} {v.Items,7} {v.Lists,9} {v.Hits,8} {v.HitRate,8:F4}"));
    }

    private static string Time(long ms) =>
        ms is > -62_135_596_800_000 and < 253_402_300_800_000
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : ms.ToString(CultureInfo.InvariantCulture);
}
