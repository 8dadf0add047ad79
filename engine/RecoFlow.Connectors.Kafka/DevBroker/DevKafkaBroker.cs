using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RecoFlow.Connectors.Kafka.DevBroker;

/// <summary>
/// An in-process development Kafka cluster: librdkafka's mock cluster (real Kafka protocol, data in memory)
/// behind TCP forwarders that give it fixed advertised addresses.
/// </summary>
/// <remarks>
/// <para>The mock brokers listen on random loopback ports. Broker <c>i</c> (1-based) is advertised as
/// <c>Host:(Port + i - 1)</c>; a forwarder listens there and copies bytes to the mock broker's real port.</para>
/// <para>Limits: memory only, about 5 MiB retained per partition (older data is dropped silently),
/// transactions are accepted but read_committed isolation and transactional offset commits are not
/// implemented, and <c>ListConsumerGroups</c> crashes clients. See docs/dev-broker.md.</para>
/// <para>Thread-safety: <see cref="Start"/> may be called from any thread (one cluster per call).
/// All members of an instance are safe to call concurrently; <see cref="CreateTopic"/> after or during
/// disposal throws <see cref="ObjectDisposedException"/>, and <see cref="DisposeAsync"/> is idempotent.</para>
/// </remarks>
public sealed class DevKafkaBroker : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _topics = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<TcpForwarder> _forwarders;
    private readonly int _brokerCount;
    private IntPtr _rk;
    private IntPtr _cluster;
    private bool _disposed;

    private DevKafkaBroker(IntPtr rk, IntPtr cluster, IReadOnlyList<TcpForwarder> forwarders,
        IReadOnlyList<int> ports, string host, string mockBootstrapServers)
    {
        _rk = rk;
        _cluster = cluster;
        _forwarders = forwarders;
        _brokerCount = ports.Count;
        Ports = ports;
        BootstrapServers = string.Join(",", ports.Select(p => FormatEndpoint(host, p)));
        MockBootstrapServers = mockBootstrapServers;
    }

    /// <summary>The fixed advertised addresses, comma-separated (broker 1 first). Give this to clients.</summary>
    public string BootstrapServers { get; }

    /// <summary>The advertised port of each broker, broker 1 first.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>The mock brokers' real (random) loopback addresses. For diagnostics only: metadata
    /// responses advertise <see cref="BootstrapServers"/>, so clients must not use these.</summary>
    public string MockBootstrapServers { get; }

    /// <summary>Topics created through this instance (name → partitions).</summary>
    public IReadOnlyDictionary<string, int> Topics
    {
        get { lock (_gate) { return new Dictionary<string, int>(_topics, StringComparer.Ordinal); } }
    }

    /// <summary>Starts a cluster. Throws <see cref="IOException"/> naming the port when an advertised port
    /// cannot be bound, <see cref="ArgumentException"/> for invalid options.</summary>
    public static DevKafkaBroker Start(DevBrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        LibrdkafkaLoader.EnsureLoaded();

        // Bind the fixed ports first: a port conflict then fails before anything native exists.
        var listeners = new List<TcpListener>();
        IntPtr rk = IntPtr.Zero, cluster = IntPtr.Zero;
        var forwarders = new List<TcpForwarder>();
        try
        {
            for (var i = 0; i < options.Brokers; i++)
            {
                listeners.Add(Bind(options.Host, options.Port == 0 ? 0 : options.Port + i));
            }

            rk = CreateHandle();
            cluster = MockClusterNative.ClusterNew(rk, options.Brokers);
            if (cluster == IntPtr.Zero)
            {
                throw new InvalidOperationException("rd_kafka_mock_cluster_new failed (see librdkafka log on stderr).");
            }

            var mockBootstraps = Marshal.PtrToStringUTF8(MockClusterNative.ClusterBootstraps(cluster)) ?? "";
            var targets = mockBootstraps.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseEndpoint).ToList();
            if (targets.Count != options.Brokers)
            {
                throw new InvalidOperationException($"Unexpected mock bootstrap list '{mockBootstraps}'.");
            }

            MockClusterNative.GroupInitialRebalanceDelayMs(cluster, 0);
            MockClusterNative.SetControllerId(cluster, 1);
            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
            for (var i = 0; i < ports.Count; i++)
            {
                // The mock lists brokers in id order 1..N, the same order as its bootstrap string.
                MockClusterNative.BrokerSetHostPort(cluster, i + 1, options.Host, ports[i]);
                forwarders.Add(new TcpForwarder(listeners[i], targets[i]));
            }

            var broker = new DevKafkaBroker(rk, cluster, forwarders, ports, options.Host, mockBootstraps);
            rk = cluster = IntPtr.Zero; // owned by broker now
            try
            {
                foreach (var (topic, partitions) in options.Topics)
                {
                    broker.CreateTopic(topic, partitions);
                }

                foreach (var forwarder in forwarders)
                {
                    forwarder.Start();
                }
            }
            catch
            {
                broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }

            return broker;
        }
        catch
        {
            if (cluster != IntPtr.Zero)
            {
                MockClusterNative.ClusterDestroy(cluster);
            }

            if (rk != IntPtr.Zero)
            {
                MockClusterNative.Destroy(rk);
            }

            foreach (var listener in listeners)
            {
                listener.Stop();
            }

            throw;
        }
    }

    /// <summary>Creates a topic. Throws <see cref="InvalidOperationException"/> if it exists.</summary>
    public void CreateTopic(string name, int partitions)
    {
        ValidateTopic(name, partitions);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var err = MockClusterNative.TopicCreate(_cluster, name, partitions, Math.Min(3, _brokerCount));
            if (err != 0)
            {
                throw new InvalidOperationException(
                    $"Creating topic '{name}' with {partitions} partitions failed: {MockClusterNative.ErrorName(err)}.");
            }

            _topics[name] = partitions;
        }
    }

    /// <summary>Stops the forwarders (closing client connections) and destroys the cluster and its data.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        foreach (var forwarder in _forwarders)
        {
            await forwarder.DisposeAsync().ConfigureAwait(false);
        }

        MockClusterNative.ClusterDestroy(_cluster);
        MockClusterNative.Destroy(_rk);
        _cluster = _rk = IntPtr.Zero;
    }

    internal static void ValidateTopic(string name, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 249 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"'{name}' is not a valid Kafka topic name.", nameof(name));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
    }

    private static TcpListener Bind(string host, int port)
    {
        TcpListener listener;
        if (IPAddress.TryParse(host, out var address))
        {
            listener = new TcpListener(address, port);
        }
        else
        {
            listener = new TcpListener(IPAddress.IPv6Any, port);
            listener.Server.DualMode = true;
        }

        try
        {
            listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Stop();
            throw new IOException(
                $"Dev Kafka broker: port {port} on {host} is already in use (another broker or process listens there). " +
                "Choose another port (0 picks a free one).", e);
        }
        catch (SocketException e)
        {
            listener.Stop();
            throw new IOException($"Dev Kafka broker: cannot listen on {host} port {port}: {e.Message}", e);
        }

        return listener;
    }

    private static IntPtr CreateHandle()
    {
        var errstr = new byte[512];
        var conf = MockClusterNative.ConfNew();
        // The handle only hosts the mock cluster; it has no bootstrap servers, so keep its notices quiet.
        if (MockClusterNative.ConfSet(conf, "log_level", "4", errstr, (nuint)errstr.Length) != MockClusterNative.ConfOk)
        {
            MockClusterNative.ConfDestroy(conf);
            throw new InvalidOperationException("rd_kafka_conf_set failed: " + MockClusterNative.ErrorString(errstr));
        }

        var rk = MockClusterNative.New(MockClusterNative.RdKafkaProducer, conf, errstr, (nuint)errstr.Length);
        if (rk == IntPtr.Zero)
        {
            MockClusterNative.ConfDestroy(conf); // rd_kafka_new only takes ownership on success
            throw new InvalidOperationException("rd_kafka_new failed: " + MockClusterNative.ErrorString(errstr));
        }

        return rk;
    }

    private static IPEndPoint ParseEndpoint(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        return new IPEndPoint(IPAddress.Parse(hostPort[..colon].Trim('[', ']')),
            int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    private static string FormatEndpoint(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}
