using RecoFlow.Connectors.Kafka;

namespace RecoFlow.Cli;

/// <summary>Points the Kafka connectors' log (<see cref="KafkaLog"/>) at a command's Serilog pipeline until disposed.</summary>
internal sealed class KafkaLogging : IDisposable
{
    private readonly Microsoft.Extensions.Logging.ILoggerFactory _factory;

    private KafkaLogging(Microsoft.Extensions.Logging.ILoggerFactory factory)
    {
        _factory = factory;
        KafkaLog.LoggerFactory = factory;
    }

    public static KafkaLogging To(CliLogging logging) => new(logging.LoggerFactory());

    public void Dispose()
    {
        if (ReferenceEquals(KafkaLog.LoggerFactory, _factory)) KafkaLog.LoggerFactory = null;
        _factory.Dispose();
    }
}
