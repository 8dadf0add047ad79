using System.CommandLine;

namespace RecoFlow.Cli;

/// <summary>How every RecoFlow command-line program (recoflow, recoflow-bench) runs its command line.</summary>
public static class ProgramInvocation
{
    /// <summary>
    /// Parses and runs a command line the way every RecoFlow program does: bad usage prints one line prefixed with
    /// <paramref name="program"/> and exits with 2, as does a state directory held by another process; an unreachable cluster exits with 1; Ctrl+C cancels the command.
    /// </summary>
    public static async Task<int> RunAsync(Command root, string[] args, string program)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{program}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
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
            Console.Error.WriteLine($"{program}: {e.Message}");
            return 2;
        }
        catch (StateDirectoryInUseException e)
        {
            Console.Error.WriteLine($"{program}: {e.Message}");
            return 2;
        }
        catch (ClusterUnreachableException e)
        {
            Console.Error.WriteLine($"{program}: {e.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
