using RecoFlow.Api.Graph;

namespace RecoFlow.Cli;

/// <summary>Job classes from a user's assembly (not supported yet).</summary>
internal static class AssemblyJobs
{
    public static JobGraph Build(byte[] assembly, string jobClass, IReadOnlyDictionary<string, string> parameters) =>
        throw new UsageException($"job class {jobClass}: jobs from assemblies are not supported yet");
}
