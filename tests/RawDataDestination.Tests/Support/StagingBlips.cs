namespace RawDataDestination.Tests.Support;

/// <summary>A staging bucket's passing troubles, for a <see cref="FaultProxy"/> in front of it.</summary>
internal static class StagingBlips
{
    /// <summary>Whether a request reads an object (a GetObject, not a listing).</summary>
    public static bool IsObjectRead(ProxyRequest request) =>
        request.Method == "GET" && !request.Path.Contains("list-type", StringComparison.Ordinal);

    /// <summary>
    /// Counted per object: the first three GETs of each answered 503 SlowDown (as QA's flaky staging bucket did), its
    /// first four DELETEs too, and its next two DELETEs forwarded (the object is deleted) with their answers lost: six
    /// failed DELETEs, more than the AWS SDK's own attempts (up to five) get through. Everything else, listings included, is forwarded.
    /// </summary>
    public static Func<ProxyRequest, ProxyDecision> FirstReadsAndDeletes()
    {
        var seen = new ConcurrentDictionary<(string Method, string Path), int>();
        return request =>
        {
            if (!IsObjectRead(request) && request.Method != "DELETE")
            {
                return ProxyAction.Forward;
            }

            int n = seen.AddOrUpdate((request.Method, request.Path.Split('?')[0]), 1, (_, count) => count + 1);
            return (request.Method, n) switch
            {
                ("GET", <= 3) or ("DELETE", <= 4) => ProxyAction.SlowDown,
                ("DELETE", 5 or 6) => ProxyAction.LandThenDropResponse,
                _ => ProxyAction.Forward,
            };
        };
    }
}
