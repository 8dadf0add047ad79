using System.Diagnostics;
using System.Text.Json;
using RecoFlow.Cli;

namespace RecoFlow.Bench;

/// <summary>Child processes of the benchmarks, with redirected output: this <c>recoflow-bench</c>, or the <c>recoflow</c> CLI.</summary>
internal static class SelfProcess
{
    /// <summary>This same <c>recoflow-bench</c> (apphost, or <c>dotnet recoflow-bench.dll</c>).</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var info = Redirected(host);
        if (IsDotnet(host)) info.ArgumentList.Add(typeof(SelfProcess).Assembly.Location);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>
    /// Runs a hidden child command of this <c>recoflow-bench</c> (<paramref name="args"/>) in a fresh process and reads
    /// its result: the last line of its output that is a JSON object. <paramref name="what"/> names it in errors.
    /// </summary>
    public static async Task<T> RunPointAsync<T>(IEnumerable<string> args, string what, CancellationToken ct)
    {
        using var p = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("could not start recoflow-bench");
        var stderr = p.StandardError.ReadToEndAsync(ct);
        var stdout = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{what}: exit {p.ExitCode}\n{stdout}\n{await stderr}");
        var line = stdout.Split('\n').LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"{what}: no result\n{stdout}");
        return JsonSerializer.Deserialize<T>(line) ?? throw new InvalidOperationException($"{what}: empty result");
    }

    /// <summary>
    /// The <c>recoflow</c> CLI that this bench references (<c>recoflow run</c>, <c>recoflow node</c>): its apphost, which
    /// the build copies next to this bench with its runtimeconfig and deps files, or <c>dotnet recoflow.dll</c> when this
    /// bench itself runs under <c>dotnet</c> or the apphost is missing. With <paramref name="cli"/>, that <c>recoflow.dll</c>
    /// (a published CLI) under <c>dotnet</c> instead.
    /// </summary>
    public static ProcessStartInfo Recoflow(IEnumerable<string> args, string? cli = null)
    {
        var dll = cli ?? typeof(CliApp).Assembly.Location;
        var apphost = cli is null ? Path.Combine(Path.GetDirectoryName(dll)!, OperatingSystem.IsWindows() ? "recoflow.exe" : "recoflow") : null;
        var host = Environment.ProcessPath;
        ProcessStartInfo info;
        if (host is not null && IsDotnet(host)) info = Redirected(host);
        else if (apphost is not null && File.Exists(apphost)) info = Redirected(apphost);
        else info = Redirected("dotnet");
        if (info.FileName != apphost) info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    private static bool IsDotnet(string host) => Path.GetFileNameWithoutExtension(host) == "dotnet";

    private static ProcessStartInfo Redirected(string fileName) =>
        new(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
}
