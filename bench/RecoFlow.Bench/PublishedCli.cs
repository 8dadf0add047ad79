using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using RecoFlow.Testing;

namespace RecoFlow.Bench;

/// <summary>
/// The <c>recoflow</c> CLI published as <c>build.ps1 publish</c> publishes it: for this machine's runtime identifier,
/// framework-dependent, compiled ahead of time (ReadyToRun, set by the CLI's project for a publish with a runtime).
/// </summary>
internal static class PublishedCli
{
    /// <summary>Publishes the CLI of this repository into <paramref name="directory"/>; returns its <c>recoflow.dll</c>.</summary>
    public static async Task<string> PublishAsync(string directory, TextWriter log, CancellationToken ct)
    {
        var project = Path.Combine(RepositoryData.Root(), "engine", "RecoFlow.Cli", "RecoFlow.Cli.csproj");
        var configuration = typeof(PublishedCli).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var rid = RuntimeInformation.RuntimeIdentifier;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", project, "-c", configuration, "-r", rid, "--self-contained", "false", "-o", directory, "-nologo" })
            info.ArgumentList.Add(a);
        log.WriteLine($"scale-out: publishing the CLI for {rid} (ReadyToRun; dotnet publish -c {configuration} -r {rid}) ...");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet publish");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scale-out bench: dotnet publish of the CLI failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
        var dll = Path.Combine(directory, "recoflow.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"scale-out bench: dotnet publish wrote no {dll}", dll);
        log.WriteLine($"scale-out: published in {clock.Elapsed.TotalSeconds:F0} s");
        return dll;
    }
}
