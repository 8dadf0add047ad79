// Runs a dev Kafka broker as its own OS process for multi-process tests.
// Usage: dotnet RecoFlow.DevBrokerHost.dll [--port P] [--brokers N] [--topic name:partitions]... [--exit-on-stdin-eof]
// Prints "READY <bootstrap.servers>" on stdout once the broker accepts connections, then runs until
// SIGTERM/SIGINT or the process is killed (or, with --exit-on-stdin-eof, until stdin is closed, so a host
// whose parent died does not linger).
using System.Globalization;
using System.Runtime.InteropServices;
using RecoFlow.Connectors.Kafka.DevBroker;

var port = 0;
var brokers = 1;
var exitOnStdinEof = false;
var topics = new List<(string, int)>();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port": port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--brokers": brokers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--topic": topics.Add(DevBrokerOptions.ParseTopic(Next())); break;
        case "--exit-on-stdin-eof": exitOnStdinEof = true; break;
        default:
            await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
            return 2;
    }
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

await using var broker = DevKafkaBroker.Start(new DevBrokerOptions { Port = port, Brokers = brokers, Topics = topics });
Console.Out.WriteLine($"READY {broker.BootstrapServers}");
Console.Out.Flush();

var stdinClosed = !exitOnStdinEof ? Task.Delay(Timeout.Infinite) : Task.Run(() =>
{
    try
    {
        while (Console.In.ReadLine() is not null)
        {
        }
    }
    catch (IOException)
    {
    }
});
await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
return 0;
