using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using RawDataDestination.Aws;
using RawDataDestination.Batching;
using RawDataDestination.Internal;
using RawDataDestination.S3;

namespace RawDataDestination.Staging;

/// <summary>
/// The operator's staging bucket, called with the service's own credentials: PutObject, GetObject, DeleteObject and
/// ListObjectsV2 under the stage prefix, and nothing else. The client is configured as every AWS client of this library
/// (<see cref="AwsClientSettings"/>), except that the AWS SDK retries transient errors of these calls.
/// </summary>
internal sealed class StagingStore : IDisposable
{
    private const string Sha256Metadata = "rawdata-sha256";
    private const string EventsMetadata = "rawdata-events";
    private const string UncompressedMetadata = "rawdata-uncompressed-bytes";
    private const string OpenedAtMetadata = "rawdata-opened-at";
    private const string StagedAtMetadata = "rawdata-staged-at";
    private const string CauseMetadata = "rawdata-seal-cause";
    private const string DestinationBucketMetadata = "rawdata-destination-bucket";
    private const string DestinationKeyMetadata = "rawdata-destination-key";
    private const string StagedForMetadata = "rawdata-staged-for";

    private readonly IAmazonS3 _s3;

    public StagingStore(StagingSettings settings, AWSCredentials? credentials)
        : this(settings, CreateClient(settings, credentials))
    {
    }

    /// <summary>Creates a store over a given client, for tests of failure paths. The store disposes it.</summary>
    internal StagingStore(StagingSettings settings, IAmazonS3 s3)
    {
        Settings = settings;
        _s3 = s3;
    }

    public StagingSettings Settings { get; }

    public string BucketName => Settings.Location.BucketName;

    /// <summary>
    /// Writes a sealed batch's bytes to <paramref name="key"/> with its SHA-256, its counts, and the customer's bucket and
    /// key it is staged for (the key in base64 of its UTF-8, as metadata values are ASCII) as metadata.
    /// </summary>
    /// <param name="key">The staged key.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="stagedAt">The staging time.</param>
    /// <param name="destinationBucket">The customer's bucket.</param>
    /// <param name="destinationKey">The customer key.</param>
    /// <param name="stagedFor">Whose bucket it is, as the host says (<see cref="StagedFor.Record"/>, in base64 of its UTF-8), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task PutBatchAsync(string key, SealedBatch batch, DateTimeOffset stagedAt, string destinationBucket, string destinationKey, StagedFor? stagedFor, CancellationToken cancellationToken)
    {
        byte[] sha256;
        using (Stream content = batch.OpenRead())
        {
            sha256 = await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false);
        }

        string checksum = Convert.ToBase64String(sha256);
        var request = new PutObjectRequest
        {
            BucketName = BucketName,
            Key = key,
            InputStream = batch.OpenRead(),
            AutoCloseStream = true,
            AutoResetStreamPosition = true,
            ContentType = S3RoleDestination.ContentType,
            ChecksumSHA256 = checksum, // S3 refuses the PUT if the bytes it received differ
        };
        request.Metadata[Sha256Metadata] = checksum;
        request.Metadata[EventsMetadata] = batch.EventCount.ToString(CultureInfo.InvariantCulture);
        request.Metadata[UncompressedMetadata] = batch.UncompressedBytes.ToString(CultureInfo.InvariantCulture);
        request.Metadata[OpenedAtMetadata] = batch.OpenedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        request.Metadata[StagedAtMetadata] = stagedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        request.Metadata[CauseMetadata] = batch.Cause.ToString();
        request.Metadata[DestinationBucketMetadata] = destinationBucket;
        request.Metadata[DestinationKeyMetadata] = Convert.ToBase64String(Encoding.UTF8.GetBytes(destinationKey));
        if (stagedFor is not null)
        {
            request.Metadata[StagedForMetadata] = Convert.ToBase64String(Encoding.UTF8.GetBytes(stagedFor.Record));
        }

        PutObjectResponse answer = await _s3.PutObjectAsync(Settings.Client.ForEndpoint(request), cancellationToken).ConfigureAwait(false);
        ErrorExplanations.ThrowIfNotS3(answer, Target);
    }

    /// <summary>Gets the staging bucket, for messages.</summary>
    public S3Target Target => new(Staging: true, Settings.Location, Settings.Client.Region, Settings.Client.ServiceUrl);

    /// <summary>Lists every key under <paramref name="prefix"/>, following ListObjectsV2 pagination, in key order.</summary>
    /// <exception cref="DestinationException">The service's own credentials may not list the staging bucket (<see cref="ErrorExplanations.ForStagingListing"/>), or there are none.</exception>
    public async Task<List<S3Object>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var objects = new List<S3Object>();
        var request = new ListObjectsV2Request { BucketName = BucketName, Prefix = prefix };
        do
        {
            ListObjectsV2Response response;
            try
            {
                response = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (ExplainListing(exception, prefix) is { } explained)
            {
                throw explained;
            }

            objects.AddRange(response.S3Objects ?? []);
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        return objects;
    }

    /// <summary>
    /// Explains what a listing's caller cannot fix by trying again, and every pass of a copier would meet: a refused
    /// listing (<see cref="ErrorExplanations.ForStagingListing"/>), or no credentials to sign it with. Anything else is
    /// left as it is (<see langword="null"/>).
    /// </summary>
    private DestinationException? ExplainListing(Exception exception, string prefix) => exception switch
    {
        AmazonServiceException answer => ErrorExplanations.ForStagingListing(answer, Target, prefix),
        _ when MissingCredentials.In(exception) => ErrorExplanations.ForS3(exception, Target),
        _ => null,
    };

    /// <summary>The first <paramref name="maxKeys"/> keys under <paramref name="prefix"/> (one ListObjectsV2 page), in key order.</summary>
    public async Task<List<S3Object>> ListFirstAsync(string prefix, int maxKeys, CancellationToken cancellationToken) =>
        (await ListPageAsync(prefix, maxKeys, cancellationToken).ConfigureAwait(false)).Objects;

    /// <summary>
    /// The first <paramref name="maxKeys"/> keys under <paramref name="prefix"/> (one ListObjectsV2 page), in key order,
    /// and whether more keys are left after them.
    /// </summary>
    public async Task<(List<S3Object> Objects, bool More)> ListPageAsync(string prefix, int maxKeys, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = BucketName, Prefix = prefix, MaxKeys = maxKeys };
        ListObjectsV2Response response = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
        return (response.S3Objects ?? [], response.IsTruncated == true);
    }

    /// <summary>
    /// The folders right under <paramref name="prefix"/> (ListObjectsV2 with delimiter <c>/</c>: one entry per folder,
    /// however many keys it holds), page by page, in key order, up to <paramref name="maxFolders"/>; and whether more
    /// are left after them.
    /// </summary>
    public async Task<(List<string> Folders, bool More)> ListFoldersAsync(string prefix, int maxFolders, CancellationToken cancellationToken)
    {
        var folders = new List<string>();
        var request = new ListObjectsV2Request { BucketName = BucketName, Prefix = prefix, Delimiter = "/" };
        do
        {
            request.MaxKeys = Math.Min(1000, maxFolders - folders.Count);
            ListObjectsV2Response response = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            folders.AddRange(response.CommonPrefixes ?? []);
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null && folders.Count < maxFolders);

        return (folders, request.ContinuationToken is not null);
    }

    /// <summary>
    /// Reads a staged batch back, checking its SHA-256, with what its key says about it (<paramref name="identity"/>) and
    /// what its metadata says; <see langword="null"/> when it is gone (another copier delivered it).
    /// </summary>
    public async Task<StagedContent?> GetBatchAsync(string key, StagedBatchIdentity identity, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = BucketName, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        using (response)
        {
            var content = new SegmentedBuffer();
            try
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] chunk = ArrayPool<byte>.Shared.Rent(81920);
                try
                {
                    int read;
                    while ((read = await response.ResponseStream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hash.AppendData(chunk, 0, read);
                        content.Write(chunk.AsSpan(0, read));
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                }

                MetadataCollection metadata = response.Metadata;
                string actual = Convert.ToBase64String(hash.GetHashAndReset());
                var manifest = new BatchManifest(
                    identity.SourceId,
                    identity.ReceivedDay,
                    identity.BatchId,
                    openedAt: Time(metadata[OpenedAtMetadata]) ?? identity.SealedAt,
                    identity.SealedAt,
                    cause: Enum.TryParse(metadata[CauseMetadata], out SealCause cause) ? cause : SealCause.Flush,
                    eventCount: Number(metadata[EventsMetadata]) ?? 0,
                    ndjsonBytes: Number(metadata[UncompressedMetadata]) ?? 0,
                    compressedBytes: content.Length,
                    checksumSha256: actual);
                return new StagedContent(
                    content,
                    manifest,
                    checksumMatches: string.Equals(metadata[Sha256Metadata], actual, StringComparison.Ordinal),
                    stagedAt: Time(metadata[StagedAtMetadata]),
                    destinationBucket: metadata[DestinationBucketMetadata],
                    destinationKey: DecodeKey(metadata[DestinationKeyMetadata]));
            }
            catch
            {
                await content.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// Reads whose bucket a staged batch was staged for (<see cref="StagedFor.Record"/>) from its metadata, with one
    /// HeadObject on the staging bucket; <see langword="null"/> when the batch is gone or its metadata names none.
    /// </summary>
    public async Task<string?> GetStagedForAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            GetObjectMetadataResponse response = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = BucketName, Key = key }, cancellationToken).ConfigureAwait(false);
            return DecodeKey(response.Metadata[StagedForMetadata]);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes an object; deleting one that is already gone succeeds, as S3 answers 204 either way.</summary>
    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = BucketName, Key = key }, cancellationToken);

    /// <summary>
    /// Writes an empty object at <paramref name="key"/>, as a start-up probe of the service's right to write the stage
    /// (s3:PutObject); its caller deletes it. The key is <see cref="StagingKeys.Probe"/>'s, which no copier or count reads.
    /// </summary>
    public Task PutProbeAsync(string key, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = BucketName,
            Key = key,
            InputStream = new MemoryStream([]),
            AutoCloseStream = true,
            ContentType = "text/plain",
        };
        return _s3.PutObjectAsync(Settings.Client.ForEndpoint(request), cancellationToken);
    }

    /// <summary>Writes a parked batch's marker; returns its ETag.</summary>
    public async Task<string?> PutMarkerAsync(string key, ParkedMarker marker, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = BucketName,
            Key = key,
            InputStream = new MemoryStream(marker.ToJson()),
            AutoCloseStream = true,
            ContentType = "application/json",
        };
        PutObjectResponse response = await _s3.PutObjectAsync(Settings.Client.ForEndpoint(request), cancellationToken).ConfigureAwait(false);
        return response.ETag;
    }

    /// <summary>Reads a parked batch's marker; <see langword="null"/> when it is gone or unreadable.</summary>
    public async Task<ParkedMarker?> GetMarkerAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using GetObjectResponse response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = BucketName, Key = key }, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return ParkedMarker.Parse(buffer.ToArray());
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public void Dispose() => _s3.Dispose();

    private static long? Number(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static string? DecodeKey(string? base64)
    {
        if (base64 is null)
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(base64));
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return null; // not written by this library: it confirms nothing
        }
    }

    private static DateTimeOffset? Time(string? text) =>
        Number(text) is { } milliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;

    private static AmazonS3Client CreateClient(StagingSettings settings, AWSCredentials? credentials)
    {
        AmazonS3Config config = settings.Client.ForS3(TimeProvider.System);
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
