using RecoFlow.Cli;

namespace RecoFlow.Bench;

/// <summary>The <c>recoflow-bench</c> command line. Bad usage prints one line and exits with 2, as <c>recoflow</c> does.</summary>
public static class BenchApp
{
    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null) =>
        ProgramInvocation.RunAsync(BenchCommand.Create(stdout ?? Console.Out), args, "recoflow-bench");
}
