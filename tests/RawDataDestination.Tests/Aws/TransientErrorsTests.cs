using System.Net.Sockets;

namespace RawDataDestination.Tests.Aws;

/// <summary><see cref="TransientErrors.IsTransient"/>: the retry rule, which errors are worth another attempt.</summary>
public class TransientErrorsTests
{
    [TestCase("SlowDown", HttpStatusCode.ServiceUnavailable)]
    [TestCase("RequestTimeTooSkewed", HttpStatusCode.Forbidden)]
    [TestCase("ExpiredToken", HttpStatusCode.BadRequest)]
    [TestCase("InvalidToken", HttpStatusCode.BadRequest)]
    [TestCase("TokenRefreshRequired", HttpStatusCode.BadRequest)]
    [TestCase("ExpiredTokenException", HttpStatusCode.BadRequest)]
    [TestCase("BadDigest", HttpStatusCode.BadRequest)]
    [TestCase("XAmzContentSHA256Mismatch", HttpStatusCode.BadRequest)]
    [TestCase("ConditionalRequestConflict", HttpStatusCode.Conflict)]
    [TestCase("OperationAborted", HttpStatusCode.Conflict)]
    public void IsTransient_TransientErrorCode_ReturnsTrue(string code, HttpStatusCode status) =>
        Assert.That(TransientErrors.IsTransient(S3Error(code, status), CancellationToken.None), Is.True);

    [TestCase(HttpStatusCode.InternalServerError)]
    [TestCase(HttpStatusCode.BadGateway)]
    [TestCase(HttpStatusCode.TooManyRequests)]
    [TestCase(HttpStatusCode.RequestTimeout)]
    public void IsTransient_ServerErrorThrottlingOrTimeoutStatus_ReturnsTrue(HttpStatusCode status) =>
        Assert.That(TransientErrors.IsTransient(S3Error("SomethingNew", status), CancellationToken.None), Is.True);

    [TestCase("AccessDenied", HttpStatusCode.Forbidden)]
    [TestCase("NoSuchBucket", HttpStatusCode.NotFound)]
    [TestCase("InvalidArgument", HttpStatusCode.BadRequest)]
    public void IsTransient_OtherClientError_ReturnsFalse(string code, HttpStatusCode status) =>
        Assert.That(TransientErrors.IsTransient(S3Error(code, status), CancellationToken.None), Is.False);

    [Test]
    public void IsTransient_NetworkErrors_ReturnTrue()
    {
        Assert.That(TransientErrors.IsTransient(new HttpRequestException("reset"), CancellationToken.None), Is.True);
        Assert.That(TransientErrors.IsTransient(new IOException("broken pipe"), CancellationToken.None), Is.True);
        Assert.That(TransientErrors.IsTransient(new SocketException((int)SocketError.ConnectionRefused), CancellationToken.None), Is.True);
        Assert.That(TransientErrors.IsTransient(new TimeoutException(), CancellationToken.None), Is.True);
    }

    [Test]
    public void IsTransient_NetworkErrorWrappedByTheSdk_ReturnsTrue() =>
        Assert.That(TransientErrors.IsTransient(new AmazonClientException("send failed", new HttpRequestException("reset")), CancellationToken.None), Is.True);

    [Test]
    public void IsTransient_CancellationTheCallerAskedFor_ReturnsFalse()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(TransientErrors.IsTransient(new OperationCanceledException(cancelled.Token), cancelled.Token), Is.False);
        Assert.That(TransientErrors.IsTransient(new OperationCanceledException(), CancellationToken.None), Is.True, "an HTTP timeout, not the caller");
    }

    [Test]
    public void IsTransient_AttemptTimeoutOrOpenCircuit_ReturnsTrueUnlessCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var timedOut = new Polly.Timeout.TimeoutRejectedException();

        Assert.That(TransientErrors.IsTransient(timedOut, CancellationToken.None), Is.True);
        Assert.That(TransientErrors.IsTransient(timedOut, cancelled.Token), Is.False);
    }

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void IsTransient_DestinationException_FollowsIsPermanent(bool isPermanent, bool expected) =>
        Assert.That(
            TransientErrors.IsTransient(new DestinationException("Code", isPermanent, "message", S3Error("SlowDown", HttpStatusCode.ServiceUnavailable)), CancellationToken.None),
            Is.EqualTo(expected),
            "the destination's own verdict wins over what it wraps");

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void IsTransient_AnyDeliveryRefusal_FollowsIsPermanent(bool isPermanent, bool expected) =>
        Assert.That(
            TransientErrors.IsTransient(new Refusal(isPermanent, S3Error("SlowDown", HttpStatusCode.ServiceUnavailable)), CancellationToken.None),
            Is.EqualTo(expected),
            "a refusal's own verdict wins over what it wraps, whoever made it");

    [Test]
    public void IsTransient_UnknownException_ReturnsFalse() =>
        Assert.That(TransientErrors.IsTransient(new InvalidOperationException("a bug"), CancellationToken.None), Is.False);

    private static AmazonS3Exception S3Error(string code, HttpStatusCode status) =>
        new("message", ErrorType.Sender, code, "request-id", status);

    /// <summary>A refusal made by no AWS code of this library: the rule reads only <see cref="IDeliveryRefusal"/>.</summary>
    private sealed class Refusal(bool isPermanent, Exception inner) : Exception("refused", inner), IDeliveryRefusal
    {
        public bool IsPermanent { get; } = isPermanent;
    }
}
