using System.Net.Sockets;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// A loopback port whose listener never accepts and whose accept queue is already full, so a new connection attempt
/// hangs (the kernel drops its SYN) instead of being refused: a dead host, as a client sees it.
/// </summary>
internal sealed class UnacceptedEndpoint : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _filler = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public UnacceptedEndpoint()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0); // a queue of one, taken by the filler below
        _filler.Connect(_listener.LocalEndPoint!);
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    public void Dispose()
    {
        _filler.Dispose();
        _listener.Dispose();
    }
}
