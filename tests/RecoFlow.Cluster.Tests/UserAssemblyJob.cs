using System.Diagnostics;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// A job project a data engineer would write: built in a temporary directory against the engine's RecoFlow.Api and
/// RecoFlow.Connectors assemblies (referenced as files, no package needed), with <c>dotnet build</c>.
/// </summary>
public static class UserAssemblyJob
{
    public const string JobClass = "MyJobs.ClickCounts";

    private const string Source = """
        using RecoFlow.Api;
        using RecoFlow.Api.Functions;
        using RecoFlow.Api.Streams;
        using RecoFlow.Api.Time;
        using RecoFlow.Api.Windows;
        using RecoFlow.Connectors.Files;

        namespace MyJobs;

        public sealed record Click(string User, long Time);

        /// <summary>Clicks per user per event-time minute, from a CSV file of user,time_ms.</summary>
        public sealed class ClickCounts : IJobDefinition
        {
            public string Name => "click-counts";
            public string Description => "clicks per user per minute";
            public IReadOnlyList<JobParameter> Parameters { get; } =
            [
                new("input", "CSV file user,time_ms", Required: true),
                new("output", "directory of committed part files", Required: true),
                new("parallelism", "parallel tasks per operator", "1"),
            ];

            public StreamJob Build(JobParameters p)
            {
                var job = new StreamJob(Name, p.Values).WithDefaultParallelism(p.GetInt("parallelism"));
                job.FromSource(new LineFileSource<Click>([p.GetString("input")], Parse),
                        WatermarkStrategy<Click>.ForBoundedOutOfOrderness(TimeSpan.Zero).WithTimestampAssigner(c => c.Time), "clicks")
                    .KeyBy(c => c.User)
                    .Window(TumblingWindows<Click>.OfEventTime(TimeSpan.FromMinutes(1)))
                    .Aggregate(new CountAggregate<Click>(), (user, w, n) => $"{user},{w.Start},{n}", "count per user")
                    .SinkTo(new FileSink<string>(p.GetString("output"), s => s), "counts");
                return job;
            }

            private static Click Parse(string line)
            {
                var f = line.Split(',');
                return new Click(f[0], long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        """;

    /// <summary>
    /// The click counts with their line format in a library of their own (MyFormats, a project reference): the node has
    /// no such assembly, so the job runs only if the package's own dependencies load. Returns the output folder.
    /// </summary>
    public static async Task<string> BuildWithDependencyAsync(string directory)
    {
        var library = Path.Combine(directory, "MyFormats");
        Directory.CreateDirectory(library);
        await File.WriteAllTextAsync(Path.Combine(library, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(library, "Directory.Packages.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(library, "MyFormats.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable></PropertyGroup></Project>");
        await File.WriteAllTextAsync(Path.Combine(library, "Lines.cs"),
            "namespace MyFormats;\npublic static class Lines\n{\n    public static string Count(string user, long windowStart, long count) => $\"{user},{windowStart},{count}\";\n}\n");
        const string Inline = "(user, w, n) => $\"{user},{w.Start},{n}\"";
        Assert.Contains(Inline, Source, StringComparison.Ordinal);
        var source = Source.Replace(Inline, "(user, w, n) => MyFormats.Lines.Count(user, w.Start, n)", StringComparison.Ordinal);
        var dll = await BuildAsync(Path.Combine(directory, "MyJobs"), source, "<ProjectReference Include=\"../MyFormats/MyFormats.csproj\" />");
        return Path.GetDirectoryName(dll)!;
    }

    /// <summary>Writes and builds the project (with <paramref name="source"/> as its code, default the click counts); returns the path of MyJobs.dll.</summary>
    public static async Task<string> BuildAsync(string directory, string source = Source, string extraItems = "")
    {
        Directory.CreateDirectory(directory);
        var bin = AppContext.BaseDirectory;
        // Stop MSBuild from picking up Directory.Build.props / Directory.Packages.props of directories above.
        await File.WriteAllTextAsync(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(directory, "MyJobs.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="RecoFlow.Api" HintPath="{Path.Combine(bin, "RecoFlow.Api.dll")}" Private="false" />
                <Reference Include="RecoFlow.Connectors" HintPath="{Path.Combine(bin, "RecoFlow.Connectors.dll")}" Private="false" />
                <Reference Include="MessagePack.Annotations" HintPath="{Path.Combine(bin, "MessagePack.Annotations.dll")}" Private="false" />
                {extraItems}
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "Job.cs"), source);
        var info = new ProcessStartInfo(NodeProcess.Dotnet) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", "-nologo", "-c", "Release", "-o", Path.Combine(directory, "out") }) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"dotnet build of the job project failed:\n{await stdout}\n{await stderr}");
        return Path.Combine(directory, "out", "MyJobs.dll");
    }
}
