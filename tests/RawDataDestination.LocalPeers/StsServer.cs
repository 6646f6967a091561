using System.Collections.Specialized;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Web;

namespace RawDataDestination.LocalPeers;

/// <summary>
/// A loopback AWS STS endpoint speaking the Query protocol (form-urlencoded <c>Action=AssumeRole</c>,
/// XML answers), with a trust policy that admits one role ARN and one external id, and a few
/// <c>/_admin/</c> endpoints for tests.
/// </summary>
internal sealed class StsServer : IDisposable
{
    private const string AdminPrefix = "/_admin/";
    private readonly StsOptions options;
    private readonly HttpListener listener;

    private StsServer(StsOptions options, HttpListener listener, int port)
    {
        this.options = options;
        this.listener = listener;
        State = new StsState(options.ExpirySeconds);
        BaseUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{options.Address}:{port}/"));
    }

    public Uri BaseUrl { get; }

    public StsState State { get; }

    /// <summary>Binds the listener; port 0 picks a free port (retrying if another process takes it first).</summary>
    public static StsServer Start(StsOptions options)
    {
        const int attempts = 20;
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port == 0 ? PickFreePort(options.Address) : options.Port;
            var listener = new HttpListener();
            listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://{options.Address}:{port}/"));
            try
            {
                listener.Start();
                return new StsServer(options, listener, port);
            }
            catch (HttpListenerException) when (options.Port == 0 && attempt < attempts)
            {
                listener.Close();
            }
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var registration = stopping.Register(listener.Stop);
        var inFlight = new List<Task>();
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is HttpListenerException or ObjectDisposedException)
            {
                break;
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            inFlight.Add(Task.Run(() => HandleAsync(context), CancellationToken.None));
        }

        await Task.WhenAll(inFlight);
    }

    public void Dispose() => listener.Close();

    private static int PickFreePort(string address)
    {
        var probe = new TcpListener(IPAddress.Parse(address), 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "/";
            if (path.StartsWith(AdminPrefix, StringComparison.Ordinal))
            {
                await HandleAdminAsync(context, path[AdminPrefix.Length..]);
            }
            else
            {
                await HandleStsAsync(context);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away; nothing to answer.
        }
        finally
        {
            context.Response.Close();
        }
    }

    private async Task HandleAdminAsync(HttpListenerContext context, string name)
    {
        var request = context.Request;
        var isPost = request.HttpMethod == "POST";
        var isGet = request.HttpMethod == "GET";
        switch (name)
        {
            case "calls" when isGet:
                await WriteTextAsync(context.Response, 200, State.Calls);
                break;
            case "granted" when isGet:
                await WriteTextAsync(context.Response, 200, State.Granted);
                break;
            case "denied" when isGet:
                await WriteTextAsync(context.Response, 200, State.Denied);
                break;
            case "config" when isPost:
                if (!int.TryParse(request.QueryString["expirySeconds"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expiry)
                    || expiry <= 0)
                {
                    await WriteTextAsync(context.Response, 400, "expirySeconds must be a positive integer");
                    break;
                }

                State.ExpirySeconds = expiry;
                await WriteTextAsync(context.Response, 200, expiry);
                break;
            case "down" when isPost:
                await SetSwitchAsync(context, "on", down => State.IsDown = down, "down", "up");
                break;
            case "trust" when isPost:
                await SetSwitchAsync(context, "requireExternalId", required => State.ExternalIdRequired = required, "external id required", "external id not required");
                break;
            case "calls" or "granted" or "denied" or "config" or "down" or "trust":
                await WriteTextAsync(context.Response, 405, "method not allowed");
                break;
            default:
                await WriteTextAsync(context.Response, 404, "unknown admin endpoint");
                break;
        }
    }

    /// <summary>An admin switch: the query parameter <paramref name="name"/> must be true or false; answers what the switch now says.</summary>
    private static async Task SetSwitchAsync(HttpListenerContext context, string name, Action<bool> set, string whenOn, string whenOff)
    {
        if (!bool.TryParse(context.Request.QueryString[name], out bool on))
        {
            await WriteTextAsync(context.Response, 400, $"{name} must be true or false");
            return;
        }

        set(on);
        await WriteTextAsync(context.Response, 200, on ? whenOn : whenOff);
    }

    private async Task HandleStsAsync(HttpListenerContext context)
    {
        var parameters = await ReadParametersAsync(context.Request);
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;

        var action = parameters["Action"];
        if (action != "AssumeRole")
        {
            await WriteErrorAsync(context.Response, StsError.InvalidAction(action), requestId);
            return;
        }

        State.CountCall();
        var outcome = Decide(parameters, context.Request.Headers["Authorization"]);
        if (outcome is StsError error)
        {
            State.CountDenied();
            await Console.Error.WriteLineAsync($"AssumeRole {error.Code}: {error.Message}");
            await WriteErrorAsync(context.Response, error, requestId);
            return;
        }

        var issued = (IssuedCredentials)outcome;
        State.CountGranted();
        await Console.Error.WriteLineAsync($"AssumeRole granted {issued.AssumedRoleArn} until {issued.Expiration:O}");
        await WriteXmlAsync(context.Response, 200, StsXml.AssumeRoleResponse(issued, requestId));
    }

    /// <summary>Applies the outage switch, authentication, validation and the trust policy, in the order STS does.</summary>
    private object Decide(NameValueCollection parameters, string? authorization)
    {
        if (State.IsDown)
        {
            return StsError.ServiceUnavailable();
        }

        var caller = CallerKeyId(authorization);
        if (caller is null)
        {
            return StsError.MissingAuthenticationToken();
        }

        // STS knows only the access keys it issued: with a list of accepted callers, any other key id is unknown.
        if (options.AcceptedCallerKeyIds is { } accepted && !accepted.Contains(caller))
        {
            return StsError.InvalidClientTokenId();
        }

        var roleArn = parameters["RoleArn"];
        var sessionName = parameters["RoleSessionName"];
        if (string.IsNullOrEmpty(roleArn) || string.IsNullOrEmpty(sessionName))
        {
            var member = string.IsNullOrEmpty(roleArn) ? "roleArn" : "roleSessionName";
            return StsError.Validation($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");
        }

        var duration = parameters["DurationSeconds"];
        if (duration is not null
            && (!int.TryParse(duration, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 900 || seconds > 43200))
        {
            return StsError.Validation($"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200");
        }

        // A trust policy without the sts:ExternalId condition ignores the external id, as AWS does.
        if (roleArn != options.RoleArn || (State.ExternalIdRequired && parameters["ExternalId"] != options.ExternalId))
        {
            return StsError.AccessDenied($"arn:aws:iam::000000000000:user/{caller}", roleArn);
        }

        return Issue(roleArn, sessionName);
    }

    private IssuedCredentials Issue(string roleArn, string sessionName)
    {
        // arn:aws:iam::ACCOUNT:role/path/NAME -> arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
        var parts = roleArn.Split(':', 6);
        var account = parts.Length == 6 ? parts[4] : "000000000000";
        var roleName = parts.Length == 6 ? parts[5][(parts[5].LastIndexOf('/') + 1)..] : roleArn;
        var roleId = "AROA" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17);
        return new IssuedCredentials(
            options.IssuedAccessKeyId,
            options.IssuedSecretAccessKey,
            "LocalPeersSessionToken/" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            DateTimeOffset.UtcNow.AddSeconds(State.ExpirySeconds),
            $"{roleId}:{sessionName}",
            $"arn:aws:sts::{account}:assumed-role/{roleName}/{sessionName}");
    }

    /// <summary>The access key id from a SigV4 <c>Authorization</c> header (<c>Credential=KEY/date/region/sts/aws4_request</c>).</summary>
    private static string? CallerKeyId(string? authorization)
    {
        const string marker = "Credential=";
        var start = authorization?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (authorization is null || start < 0)
        {
            return null;
        }

        start += marker.Length;
        var end = authorization.IndexOf('/', start);
        return end > start ? authorization[start..end] : null;
    }

    private static async Task<NameValueCollection> ReadParametersAsync(HttpListenerRequest request)
    {
        var parameters = new NameValueCollection(request.QueryString);
        if (request.HasEntityBody
            && request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            parameters.Add(HttpUtility.ParseQueryString(await reader.ReadToEndAsync()));
        }

        return parameters;
    }

    private static Task WriteErrorAsync(HttpListenerResponse response, StsError error, string requestId) =>
        WriteXmlAsync(response, error.Status, StsXml.ErrorResponse(error, requestId));

    private static async Task WriteXmlAsync(HttpListenerResponse response, int status, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = "text/xml";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, object text)
    {
        var body = Encoding.UTF8.GetBytes(Convert.ToString(text, CultureInfo.InvariantCulture) + "\n");
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }
}
