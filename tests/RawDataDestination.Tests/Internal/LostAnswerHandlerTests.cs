namespace RawDataDestination.Tests.Internal;

/// <summary>
/// The rule of <see cref="LostAnswerHandler"/>: a PutObject may have landed when its body went out in full and no answer
/// came, or a success with the object's ETag did; not when the body was not all sent, nor when S3 answered with an error,
/// however late the body ended, nor when a success without an ETag (not S3's) came. Driven through a real handler below it that plays the endpoint.
/// </summary>
public class LostAnswerHandlerTests
{
    [TestCase("takes the body, then the connection drops", true)]
    [TestCase("takes the body, then answers 200 with an ETag", true)]
    [TestCase("takes the body, then answers 200 without an ETag", false)]
    [TestCase("takes the body, then answers 500", false)]
    [TestCase("drops the connection before taking the body", false)]
    [TestCase("answers 403 at once, then takes the body", false)]
    public async Task Send_OfAPut_TellsTheBatchWhetherItMayHaveLanded(string endpoint, bool mayHaveLanded)
    {
        var watch = new PutWatch();
        using var invoker = new HttpMessageInvoker(new LostAnswerHandler { InnerHandler = new Endpoint(endpoint) });

        PutWatch.Current = watch;
        try
        {
            using HttpResponseMessage response = await invoker.SendAsync(Put(), CancellationToken.None);
            if (endpoint.EndsWith("then takes the body", StringComparison.Ordinal))
            {
                await response.RequestMessage!.Content!.CopyToAsync(Stream.Null); // the body ends after the answer
            }
        }
        catch (HttpRequestException)
        {
        }

        Assert.That(watch.MayHaveLanded, Is.EqualTo(mayHaveLanded));
    }

    [Test]
    public async Task Send_OfAnotherMethodOrWithoutAWatch_TellsNoBatch()
    {
        var watch = new PutWatch();
        using var invoker = new HttpMessageInvoker(new LostAnswerHandler { InnerHandler = new Endpoint("takes the body, then the connection drops") });

        PutWatch.Current = watch;
        using var post = new HttpRequestMessage(HttpMethod.Post, "http://sts.test/") { Content = new StringContent("Action=AssumeRole") };
        Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(post, CancellationToken.None));
        PutWatch.Current = null;
        Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(Put(), CancellationToken.None));

        Assert.That(watch.MayHaveLanded, Is.False, "STS's POST is not the PUT, and a PUT sent with no watch set tells none");
    }

    private static HttpRequestMessage Put() => new(HttpMethod.Put, "http://s3.test/bucket/segment-logs/src/1/batch.gz") { Content = new ByteArrayContent(new byte[1024]) };

    /// <summary>An endpoint as the handler below sees it: what it does with the body, and what it answers.</summary>
    private sealed class Endpoint(string behaviour) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            switch (behaviour)
            {
                case "drops the connection before taking the body":
                    throw new HttpRequestException("The connection was reset.");
                case "answers 403 at once, then takes the body":
                    return new HttpResponseMessage(HttpStatusCode.Forbidden) { RequestMessage = request };
            }

            await request.Content!.CopyToAsync(Stream.Null, cancellationToken);
            return behaviour switch
            {
                "takes the body, then answers 200 with an ETag" => new HttpResponseMessage(HttpStatusCode.OK) { Headers = { { "ETag", "\"9b2cf535f27731c974343645a3985328\"" } } },
                "takes the body, then answers 200 without an ETag" => new HttpResponseMessage(HttpStatusCode.OK), // not S3's answer: a web page
                "takes the body, then answers 500" => new HttpResponseMessage(HttpStatusCode.InternalServerError),
                _ => throw new HttpRequestException("The response ended prematurely."),
            };
        }
    }
}
