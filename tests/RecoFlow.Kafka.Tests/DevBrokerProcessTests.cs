namespace RecoFlow.Kafka.Tests;

[Trait("Category", "Slow")]
public sealed class DevBrokerProcessTests
{
    [Fact]
    public async Task Broker_runs_as_its_own_process_and_dies_with_it()
    {
        var port = TestPorts.FreeRange(2);
        await using var host = await DevBrokerHostProcess.StartAsync(port, brokers: 2, ["t:6"], TimeSpan.FromSeconds(60));
        Assert.NotEqual(Environment.ProcessId, host.ProcessId);
        Assert.Equal($"127.0.0.1:{port},127.0.0.1:{port + 1}", host.BootstrapServers);

        const int perPartition = 200;
        var expected = KafkaRoundTrip.Produce(host.BootstrapServers, "t", 6, perPartition);
        var received = KafkaRoundTrip.ConsumeAll(host.BootstrapServers, "t", 6, 6 * perPartition);
        Assert.Equal(expected, received);
        Assert.False(host.HasExited, host.StandardError);

        await host.KillAsync();
        Assert.True(host.HasExited);
        Assert.True(TestPorts.IsFree(port) && TestPorts.IsFree(port + 1), "ports still bound after the host was killed");
    }
}
