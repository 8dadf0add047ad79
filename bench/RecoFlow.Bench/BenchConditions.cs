using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;

namespace RecoFlow.Bench;

/// <summary>
/// The conditions a figure was measured under, printed with every engine table so a reader can reproduce it, and the
/// check that refuses conditions that make figures meaningless.
/// </summary>
internal static class BenchConditions
{
    /// <summary>
    /// Refuses a build whose JIT optimiser is off (a Debug build of the bench or of the engine it measures): such a run
    /// gives figures several times too low. <c>dotnet run</c> without <c>-c Release</c> builds Debug.
    /// </summary>
    public static void RequireOptimizedBuild()
    {
        foreach (var assembly in new[] { typeof(BenchConditions).Assembly, typeof(RecoFlow.Runtime.LocalRuntime).Assembly, typeof(RecoFlow.Api.Streams.StreamJob).Assembly })
        {
            if (assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
                throw new RecoFlow.Cli.UsageException($"{assembly.GetName().Name} is a Debug build: its figures would be several times too low; build and run the bench with -c Release");
        }
    }

    /// <summary>One line: cores, the load average when the measurement started, GC mode, runtime and OS.</summary>
    public static string Describe()
    {
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        var gc = GCSettings.IsServerGC ? "server GC" : "workstation GC";
        return $"{Environment.ProcessorCount} cores, load average {load} at the start (1, 5, 15 min), {gc}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}";
    }
}
