using System.CommandLine;
using RecoFlow.Cli;

namespace RecoFlow.Bench;

/// <summary>The <c>recoflow-bench</c> command line. Bad usage prints one line and exits with 2, as <c>recoflow</c> does.</summary>
public static class BenchApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null)
    {
        var output = stdout ?? Console.Out;
        var parse = BenchCommand.Create(output).Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"recoflow-bench: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
            return 2;
        }
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"recoflow-bench: {e.Message}");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
