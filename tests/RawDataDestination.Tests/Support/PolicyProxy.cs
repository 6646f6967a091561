namespace RawDataDestination.Tests.Support;

/// <summary>
/// A policy-enforcing proxy in front of moto: it answers as real S3 does for the setup mistakes moto 5.2.1 does not
/// check (S3 does not ask KMS whether the role may use the key; every bucket is in every region; ACLs are never
/// disabled), and stages a role refusing one prefix then another within a test; it forwards what its rules allow, and
/// moto checks that again against the real role. Path-style requests only (<c>/{bucket}/{key}</c>), as the destination
/// sends them to an overridden endpoint.
/// </summary>
internal sealed class PolicyProxy : IAsyncDisposable
{
    private readonly FaultProxy _proxy;

    private PolicyProxy(Uri upstream, PolicyRules rules)
    {
        Rules = rules;
        _proxy = new FaultProxy(upstream, Decide);
    }

    public PolicyRules Rules { get; }

    public Uri ServiceUrl => _proxy.ServiceUrl;

    /// <summary>Every request the proxy saw, with what it did.</summary>
    public IReadOnlyList<(ProxyRequest Request, ProxyAction Action)> Log => _proxy.Log;

    public static PolicyProxy Start(Uri upstream, PolicyRules rules) => new(upstream, rules);

    public ValueTask DisposeAsync() => _proxy.DisposeAsync();

    private ProxyDecision Decide(ProxyRequest request)
    {
        if (Rules.BucketRegion is { } region)
        {
            // S3's answer to a request signed for the wrong region.
            return Rules.RedirectAsMalformedAuthorization
                ? ProxyDecision.Response(400, "AuthorizationHeaderMalformed", $"The authorization header is malformed; the region 'us-east-1' is wrong; expecting '{region}'", new Dictionary<string, string> { ["x-amz-bucket-region"] = region })
                : ProxyDecision.Response(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", new Dictionary<string, string> { ["x-amz-bucket-region"] = region });
        }

        if (request.Method != "PUT" || !request.Path.StartsWith($"/{Rules.Bucket}/{Rules.AllowedKeyPrefix}", StringComparison.Ordinal))
        {
            return ProxyDecision.Response(403, "AccessDenied", $"User: arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/RawDataDestination is not authorized to perform: s3:{(request.Method == "PUT" ? "PutObject" : request.Method)} on resource: \"arn:aws:s3:::{Rules.Bucket}{Uri.UnescapeDataString(request.Path[(Rules.Bucket.Length + 1)..])}\" because no identity-based policy allows the action");
        }

        if (Rules.DenyKms && request.Headers.TryGetValue("x-amz-server-side-encryption", out string? sse) && sse == "aws:kms")
        {
            return ProxyDecision.Response(403, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/SegmentS3Upload/RawDataDestination is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:123456789012:key/1234abcd because no identity-based policy allows the kms:GenerateDataKey action");
        }

        if (Rules.AclsDisabled && request.Headers.ContainsKey("x-amz-acl"))
        {
            return ProxyDecision.Response(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
        }

        return ProxyAction.Forward;
    }
}

/// <summary>What the customer's setup allows, as the policy proxy enforces it.</summary>
internal sealed class PolicyRules
{
    /// <summary>Gets or sets the bucket the policy names.</summary>
    public required string Bucket { get; init; }

    /// <summary>Gets or sets the key prefix the policy's resource allows (<c>arn:aws:s3:::{bucket}/{prefix}*</c>).</summary>
    public string AllowedKeyPrefix { get; set; } = "segment-logs/";

    /// <summary>Gets or sets a value indicating whether the role may not use the KMS key.</summary>
    public bool DenyKms { get; set; }

    /// <summary>Gets or sets a value indicating whether the bucket enforces object ownership (ACLs disabled).</summary>
    public bool AclsDisabled { get; set; }

    /// <summary>Gets or sets the bucket's real region, when it is not the one requests are signed for.</summary>
    public string? BucketRegion { get; set; }

    /// <summary>Gets or sets a value indicating whether a wrong region is answered with 400 AuthorizationHeaderMalformed rather than 301 PermanentRedirect.</summary>
    public bool RedirectAsMalformedAuthorization { get; set; }
}
