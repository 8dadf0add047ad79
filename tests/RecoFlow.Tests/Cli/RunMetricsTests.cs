using System.Diagnostics.Metrics;
using RecoFlow.Cli;
using RecoFlow.ControlPlane;
using RecoFlow.Jobs.Ysb;

namespace RecoFlow.Tests.Cli;

/// <summary><c>recoflow run</c> publishes its job's instruments on meter RecoFlow.Run, so dotnet-counters (a MeterListener) can watch it.</summary>
public sealed class RunMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("run-metrics").FullName;

    [Fact]
    public async Task A_running_job_reports_task_records_with_job_and_task_labels_on_the_run_meter()
    {
        var table = YsbData.Campaigns();
        var input = Path.Combine(_dir, "ev.jsonl");
        var campaigns = Path.Combine(_dir, "c.csv");
        YsbData.WriteCampaigns(campaigns, table);
        YsbData.WriteEvents(input, YsbData.Generate(20_000, 5, table));

        var seen = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == JobInstruments.RunMeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var t = new Dictionary<string, object?>();
            foreach (var tag in tags) t[tag.Key] = tag.Value;
            lock (seen) seen.Add((instrument.Name, value, t));
        });
        listener.Start();

        // Paced at 4,000 events/s: about 5 s, long enough to be read while it runs.
        var run = CliApp.RunAsync(["run", "ysb", "-P", $"input={input}", "-P", $"campaigns={campaigns}", "-P", $"output={Path.Combine(_dir, "out.jsonl")}", "-P", "rate=4000"], new StringWriter());
        bool Seen() { lock (seen) return seen.Any(s => s.Instrument == "recoflow.task.records_in" && s.Value > 0 && Equals(s.Tags.GetValueOrDefault("job_name"), "ysb")); }
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!Seen() && !run.IsCompleted && DateTime.UtcNow < deadline)
        {
            listener.RecordObservableInstruments();
            await Task.Delay(100);
        }
        Assert.True(Seen(), "no records_in measurement of the ysb job while it ran");
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromMinutes(1)));
        lock (seen)
        {
            var sample = seen.First(s => s.Instrument == "recoflow.task.records_in" && s.Value > 0);
            Assert.True(sample.Tags.ContainsKey("job_id") && sample.Tags.ContainsKey("task") && sample.Tags.ContainsKey("operator"));
            Assert.Contains(seen, s => s.Instrument == "recoflow.job.restarts");
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
