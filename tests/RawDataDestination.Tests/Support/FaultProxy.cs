using System.Net.Sockets;

namespace RawDataDestination.Tests.Support;

/// <summary>What the proxy does with one request.</summary>
internal enum ProxyAction
{
    /// <summary>Forward it and return the answer.</summary>
    Forward,

    /// <summary>503 SlowDown, with S3's error XML.</summary>
    SlowDown,

    /// <summary>500 InternalError, with S3's error XML.</summary>
    InternalError,

    /// <summary>412 PreconditionFailed, with S3's error XML.</summary>
    PreconditionFailed,

    /// <summary>403 AccessDenied, with S3's error XML.</summary>
    AccessDenied,

    /// <summary>Reset the connection half-way through reading the request body.</summary>
    ResetMidRequest,

    /// <summary>Read the request and never answer (past any client timeout).</summary>
    Stall,

    /// <summary>Forward it (the PUT lands) but reset the connection instead of answering.</summary>
    LandThenDropResponse,

    /// <summary>Answer with the canned response given by <see cref="ProxyDecision.Response"/>.</summary>
    Respond,

    /// <summary>Forward it with one byte of the body changed (the middle one, bits inverted), and return the answer: a body altered in transit.</summary>
    FlipBodyByte,
}

/// <summary>
/// An action, with a canned response for <see cref="ProxyAction.Respond"/>; with <see cref="ProxyAction.Forward"/>, an
/// optional change to the upstream answer's body before the client gets it (<see cref="RewriteAnswer"/>).
/// </summary>
internal sealed record ProxyDecision(ProxyAction Action, int Status = 0, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, Func<string, string>? RewriteAnswer = null)
{
    /// <summary>
    /// Gets how long the proxy waits before it acts (a slow S3), without holding a thread: a decision that slept instead
    /// held one of the test host's few pool threads, so under load the eighth of eight slow answers came seconds late.
    /// </summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Gets a task the proxy waits for before it acts (an S3 that answers once the test says so), or <see langword="null"/>.
    /// A request still waiting when the proxy stops is dropped, never acted on.
    /// </summary>
    public Task? Gate { get; init; }

    public static implicit operator ProxyDecision(ProxyAction action) => new(action);

    public static ProxyDecision Response(int status, string code, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(ProxyAction.Respond, status, S3ErrorXml(code, message), headers);

    public static string S3ErrorXml(string code, string message) =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULT0001</RequestId><HostId>fault-proxy</HostId></Error>";
}

/// <summary>A request as the proxy saw it: its headers (names in lower case) as the client sent them.</summary>
internal sealed record ProxyRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, int BodyLength);

/// <summary>
/// A request whose body the proxy read: the body as the client sent it, as it went upstream (if it did), and the
/// upstream server's answer (status line, headers and body as text; <see langword="null"/> if not forwarded).
/// </summary>
internal sealed record ProxyExchange(ProxyRequest Request, ProxyAction Action, byte[] Received, byte[]? Forwarded, string? Answer)
{
    /// <summary>Gets the upstream answer's status code, or 0 if the request was not forwarded.</summary>
    public int AnswerStatus => Answer is null ? 0 : int.Parse(Answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// An HTTP proxy on loopback between the AWS SDK and a real S3-compatible server, that injects real faults: S3 error
/// answers, connection resets, stalls, and PUTs that land but whose answer is lost. Each connection carries one
/// request (answers say <c>Connection: close</c>).
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly Func<ProxyRequest, ProxyDecision> _decide;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public FaultProxy(Uri upstream, Func<ProxyRequest, ProxyDecision> decide)
    {
        _upstream = upstream;
        _decide = decide;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri ServiceUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Gets a snapshot of the requests seen and what was done to each, in order (taken under the proxy's lock: safe while requests still arrive).</summary>
    public IReadOnlyList<(ProxyRequest Request, ProxyAction Action)> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Gets the requests whose bodies were read in full, in the order they were read: the wire as the client wrote it and as the server got it.</summary>
    /// <remarks>A snapshot taken under the proxy's lock: safe to enumerate while requests still arrive.</remarks>
    public IReadOnlyList<ProxyExchange> Exchanges
    {
        get
        {
            lock (_exchanges)
            {
                return [.. _exchanges];
            }
        }
    }

    private readonly List<(ProxyRequest Request, ProxyAction Action)> _log = [];

    private readonly List<ProxyExchange> _exchanges = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            lock (_connections)
            {
                // On the thread pool, so a decision that waits (for another request, say) never holds up accepting.
                _connections.Add(Task.Run(() => HandleAsync(client)));
            }
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                (string head, Dictionary<string, string> headers) = await ReadHeadAsync(stream);
                string[] requestLine = head.Split("\r\n")[0].Split(' ');
                int length = headers.TryGetValue("content-length", out string? text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
                var request = new ProxyRequest(requestLine[0], Uri.UnescapeDataString(requestLine[1]), headers, length);
                ProxyDecision decision = _decide(request);
                lock (_log)
                {
                    _log.Add((request, decision.Action));
                }

                if (decision.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(decision.Delay, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (decision.Gate is { } gate)
                {
                    await gate.WaitAsync(_stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                }

                if (headers.TryGetValue("expect", out string? expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token);
                }

                if (decision.Action == ProxyAction.ResetMidRequest)
                {
                    await ReadBodyAsync(stream, length / 2);
                    Reset(client);
                    return;
                }

                byte[] body = await ReadBodyAsync(stream, length);
                byte[]? forwarded = decision.Action switch
                {
                    ProxyAction.Forward or ProxyAction.LandThenDropResponse => body,
                    ProxyAction.FlipBodyByte => Flipped(body),
                    _ => null,
                };
                byte[]? answer = forwarded is null ? null : await ForwardAsync(head, forwarded);
                lock (_exchanges)
                {
                    _exchanges.Add(new ProxyExchange(request, decision.Action, body, forwarded, answer is null ? null : Encoding.UTF8.GetString(answer)));
                }

                switch (decision.Action)
                {
                    case ProxyAction.Forward when decision.RewriteAnswer is not null:
                        await stream.WriteAsync(Rewritten(answer!, decision.RewriteAnswer), _stop.Token);
                        break;
                    case ProxyAction.Forward:
                    case ProxyAction.FlipBodyByte:
                        await stream.WriteAsync(answer!, _stop.Token);
                        break;
                    case ProxyAction.LandThenDropResponse:
                        Reset(client);
                        return;
                    case ProxyAction.Stall:
                        await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        Reset(client);
                        return;
                    default:
                        await stream.WriteAsync(CannedResponse(decision), _stop.Token);
                        break;
                }

                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
            {
                // The client gave up (timeout) or the proxy is stopping.
            }
        }
    }

    private static byte[] Flipped(byte[] body)
    {
        byte[] copy = [.. body];
        if (copy.Length > 0)
        {
            copy[copy.Length / 2] ^= 0xFF;
        }

        return copy;
    }

    /// <summary>The answer with its body changed by <paramref name="rewrite"/> and its Content-Length set to match.</summary>
    private static byte[] Rewritten(byte[] answer, Func<string, string> rewrite)
    {
        string text = Encoding.UTF8.GetString(answer);
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return answer;
        }

        byte[] body = Encoding.UTF8.GetBytes(rewrite(text[(split + 4)..]));
        IEnumerable<string> head = text[..split].Split("\r\n").Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        string newHead = string.Join("\r\n", head) + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(newHead), .. body];
    }

    private static byte[] CannedResponse(ProxyDecision decision)
    {
        (int status, string body) = decision.Action switch
        {
            ProxyAction.SlowDown => (503, ProxyDecision.S3ErrorXml("SlowDown", "Please reduce your request rate.")),
            ProxyAction.InternalError => (500, ProxyDecision.S3ErrorXml("InternalError", "We encountered an internal error. Please try again.")),
            ProxyAction.PreconditionFailed => (412, ProxyDecision.S3ErrorXml("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")),
            ProxyAction.AccessDenied => (403, ProxyDecision.S3ErrorXml("AccessDenied", "Access Denied")),
            _ => (decision.Status, decision.Body ?? string.Empty),
        };
        var head = new StringBuilder();
        head.Append(System.Globalization.CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        head.Append("Content-Type: application/xml\r\nx-amz-request-id: FAULT0001\r\nConnection: close\r\n");
        foreach (KeyValuePair<string, string> header in decision.Headers ?? new Dictionary<string, string>())
        {
            head.Append(System.Globalization.CultureInfo.InvariantCulture, $"{header.Key}: {header.Value}\r\n");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(body);
        head.Append(System.Globalization.CultureInfo.InvariantCulture, $"Content-Length: {bytes.Length}\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. bytes];
    }

    private static string ReasonPhrase(int status) => status switch
    {
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Slow Down",
        _ => "Status",
    };

    private async Task<byte[]> ForwardAsync(string head, byte[] body)
    {
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
        NetworkStream stream = upstream.GetStream();
        IEnumerable<string> lines = head.Split("\r\n")
            .Where(l => l.Length > 0 && !l.StartsWith("Expect:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
        string forwarded = string.Join("\r\n", lines) + "\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(forwarded), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
        var response = new MemoryStream();
        await stream.CopyToAsync(response, _stop.Token);
        return response.ToArray();
    }

    private static void Reset(TcpClient client)
    {
        client.Client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
    }

    private async Task<(string Head, Dictionary<string, string> Headers)> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                throw new IOException("The client closed the connection before sending a request.");
            }

            head.Add(one[0]);
        }

        string text = Encoding.ASCII.GetString([.. head]);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in text.Split("\r\n").Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal)))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return (text[..^4], headers);
    }

    private async Task<byte[]> ReadBodyAsync(NetworkStream stream, int length)
    {
        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body, _stop.Token);
        return body;
    }
}
