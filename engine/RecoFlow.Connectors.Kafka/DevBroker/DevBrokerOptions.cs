using System.Globalization;

namespace RecoFlow.Connectors.Kafka.DevBroker;

/// <summary>Settings for <see cref="DevKafkaBroker.Start"/>.</summary>
public sealed record DevBrokerOptions
{
    /// <summary>Advertised port of broker 1; broker <c>i</c> uses <c>Port + i - 1</c>.
    /// 0 picks a free port for each broker (not necessarily consecutive).</summary>
    public int Port { get; init; } = 9092;

    /// <summary>Number of brokers, 1 to 3.</summary>
    public int Brokers { get; init; } = 1;

    /// <summary>Advertised host. An IP address is also the address the forwarders listen on; a host name
    /// makes them listen on all interfaces (IPv4 and IPv6) and advertise that name.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Topics created at start.</summary>
    public IReadOnlyList<(string Topic, int Partitions)> Topics { get; init; } = [];

    /// <summary>Parses <c>name:partitions</c> (or just <c>name</c>, which gets 1 partition).</summary>
    public static (string Topic, int Partitions) ParseTopic(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var colon = spec.LastIndexOf(':');
        if (colon < 0)
        {
            return (spec.Trim(), 1);
        }

        var name = spec[..colon].Trim();
        if (name.Length == 0 ||
            !int.TryParse(spec[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var partitions) ||
            partitions < 1)
        {
            throw new FormatException($"Topic spec '{spec}' is not of the form name:partitions (partitions >= 1).");
        }

        return (name, partitions);
    }

    internal void Validate()
    {
        if (Brokers is < 1 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(Brokers), Brokers, "The dev broker supports 1 to 3 brokers.");
        }

        if (Port < 0 || (Port > 0 && Port + Brokers - 1 > 65535))
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, $"Ports {Port}..{Port + Brokers - 1} are not valid TCP ports.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        foreach (var (topic, partitions) in Topics)
        {
            DevKafkaBroker.ValidateTopic(topic, partitions);
        }
    }
}
