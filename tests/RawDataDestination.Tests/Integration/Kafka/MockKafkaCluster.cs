using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace RawDataDestination.Tests.Integration.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster: a client created with <c>test.mock.num.brokers</c> starts brokers that speak
/// the Kafka protocol on loopback sockets, and logs (facility MOCK) the <c>bootstrap.servers</c> it put in place. Other
/// clients, in this process or in a child process, use those servers while this one lives.
/// </summary>
internal sealed class MockKafkaCluster : IDisposable
{
    private readonly IAdminClient _owner;

    private MockKafkaCluster(IAdminClient owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public static MockKafkaCluster Start(int brokers = 3)
    {
        var servers = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new ConcurrentQueue<string>();
        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        IAdminClient owner = new AdminClientBuilder(config)
            .SetLogHandler((_, message) =>
            {
                log.Enqueue($"{message.Facility}: {message.Message}");
                if (message.Facility == "MOCK" && ParseServers(message.Message) is { } found)
                {
                    servers.TrySetResult(found);
                }
            })
            .Build();
        if (!servers.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            owner.Dispose();
            throw new TimeoutException("The mock cluster did not log its bootstrap.servers: " + string.Join(" | ", log));
        }

        return new MockKafkaCluster(owner, servers.Task.Result);
    }

    /// <summary>
    /// The mock cluster has no controller, so it can't create topics through the admin API (CreateTopics times out
    /// "waiting for controller"). It creates a topic on first use instead, with 4 partitions: the first produce does it.
    /// </summary>
    public const int AutoCreatedPartitions = 4;

    /// <summary>The number of partitions the cluster gave <paramref name="topic"/>.</summary>
    public int PartitionCount(string topic)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
    }

    public IProducer<string?, string> CreateProducer() =>
        new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = BootstrapServers, Acks = Acks.All, EnableIdempotence = false, LingerMs = 5 }).Build();

    public void Dispose() => _owner.Dispose();

    /// <summary>
    /// Makes the cluster answer the next <paramref name="count"/> requests of Kafka API <paramref name="apiKey"/> (8 is
    /// OffsetCommit) with <paramref name="error"/>, from any client: librdkafka's
    /// <c>rd_kafka_mock_push_request_errors_array</c>, reached through the owner's handle.
    /// </summary>
    public void FailRequests(short apiKey, ErrorCode error, int count)
    {
        var handle = (SafeHandle)_owner.Handle.GetType().GetProperty("LibrdkafkaHandle", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(_owner.Handle)!;
        string path = File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).First(p => p.Contains("librdkafka", StringComparison.Ordinal));
        IntPtr library = NativeLibrary.Load(path);
        var mockCluster = Marshal.GetDelegateForFunctionPointer<HandleMockCluster>(NativeLibrary.GetExport(library, "rd_kafka_handle_mock_cluster"));
        var pushErrors = Marshal.GetDelegateForFunctionPointer<PushRequestErrors>(NativeLibrary.GetExport(library, "rd_kafka_mock_push_request_errors_array"));
        pushErrors(mockCluster(handle.DangerousGetHandle()), apiKey, (nuint)count, Enumerable.Repeat((int)error, count).ToArray());
    }

    /// <summary>Makes broker <paramref name="broker"/> the coordinator of consumer group <paramref name="group"/> (<c>rd_kafka_mock_coordinator_set</c>).</summary>
    public void SetCoordinator(string group, int broker) => Check(Native<SetCoordinatorCall>("rd_kafka_mock_coordinator_set")(MockHandle(), "group", group, broker));

    /// <summary>Makes broker <paramref name="broker"/> the leader of <paramref name="topic"/>'s <paramref name="partition"/> (<c>rd_kafka_mock_partition_set_leader</c>).</summary>
    public void SetPartitionLeader(string topic, int partition, int broker) => Check(Native<SetLeaderCall>("rd_kafka_mock_partition_set_leader")(MockHandle(), topic, partition, broker));

    /// <summary>Takes broker <paramref name="broker"/> down: its connections are closed and it accepts none (<c>rd_kafka_mock_broker_set_down</c>).</summary>
    public void SetBrokerDown(int broker) => Check(Native<BrokerCall>("rd_kafka_mock_broker_set_down")(MockHandle(), broker));

    private static void Check(int error)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The mock cluster refused the call: error {error}.");
        }
    }

    /// <summary>The mock cluster of the owner's handle.</summary>
    private IntPtr MockHandle()
    {
        var handle = (SafeHandle)_owner.Handle.GetType().GetProperty("LibrdkafkaHandle", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(_owner.Handle)!;
        return Native<HandleMockCluster>("rd_kafka_handle_mock_cluster")(handle.DangerousGetHandle());
    }

    /// <summary>A function of the librdkafka loaded in this process.</summary>
    private static T Native<T>(string name)
        where T : Delegate
    {
        string path = File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).First(p => p.Contains("librdkafka", StringComparison.Ordinal));
        return Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(NativeLibrary.Load(path), name));
    }

    /// <summary>Finds the broker list in the MOCK log line (librdkafka: "... bootstrap.servers ... replaced with HOST:PORT,...").</summary>
    private static string? ParseServers(string message)
    {
        int at = message.IndexOf("bootstrap.servers", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        string[] words = message[at..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return words.LastOrDefault(w => w.Contains(':', StringComparison.Ordinal) && char.IsDigit(w[^1]))?.TrimEnd('.', ',');
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr HandleMockCluster(IntPtr kafkaHandle);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetCoordinatorCall(IntPtr mockCluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string keyType, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, int broker);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetLeaderCall(IntPtr mockCluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partition, int broker);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int BrokerCall(IntPtr mockCluster, int broker);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void PushRequestErrors(IntPtr mockCluster, short apiKey, nuint count, int[] errors);
}
