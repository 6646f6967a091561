namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// The AWS that the rawdata process tests ship to: a moto with IAM enforced, set up as a customer and an operator would
/// (the service's identity may only assume the customer's role and use its own staging buckets; the role trusts it only
/// with <see cref="ExternalId"/> and may only put objects under <c>{bucket}/segment-logs/*</c>), started once for this
/// namespace and stopped by PID. This is the one file that knows which servers they are; the faults (a silent or
/// refusing endpoint) are the tests' own.
/// </summary>
[SetUpFixture]
public sealed class RawdataPeers
{
    public const string Bucket = "rawdata-customer";
    public const string RoleName = "RawdataProcessTests";
    public static string RoleArn { get; } = AccountSetup.RoleArn(RoleName);
    public const string ExternalId = "ext-id-processes";

    /// <summary>Another customer's role, external id and bucket of the same name (<see cref="Bucket"/>): what a customer B in another store would have.</summary>
    public const string OtherRoleName = "RawdataProcessTestsOther";
    public static string OtherRoleArn { get; } = AccountSetup.RoleArn(OtherRoleName);
    public const string OtherExternalId = "ext-id-other-customer";

    private static MotoPeer moto = null!;
    private static ServiceIdentity service = null!;

    /// <summary>Gets the S3 endpoint, holding <see cref="Bucket"/>.</summary>
    public static string S3Url => moto.ServiceUrl;

    /// <summary>Gets the STS endpoint, where the service may assume <see cref="RoleArn"/> with <see cref="ExternalId"/>.</summary>
    public static string StsUrl => moto.ServiceUrl;

    /// <summary>Gets this service's own credentials, for the process's environment: they may assume the role, and use the staging buckets.</summary>
    public static IReadOnlyDictionary<string, string> ServiceCredentials { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// The command line of <paramref name="verb"/> for this customer: its region, bucket, role and external id, S3 at
    /// <paramref name="s3Url"/> and STS at <paramref name="stsUrl"/> (these peers' own by default), then <paramref name="more"/>.
    /// </summary>
    public static string[] Command(string verb, string? s3Url = null, string? stsUrl = null, params string[] more) =>
    [
        verb, "--region", "us-east-1", "--bucket", Bucket, "--role-arn", RoleArn, "--external-id", ExternalId,
        "--endpoint-url", s3Url ?? S3Url, "--sts-endpoint-url", stsUrl ?? StsUrl, .. more,
    ];

    /// <summary><c>rawdata ship</c> of <paramref name="sourceId"/> to this customer through these peers, then <paramref name="more"/>.</summary>
    public static string[] Ship(string sourceId, params string[] more) => Command("ship", more: ["--source-id", sourceId, .. more]);

    /// <summary>Creates a staging bucket of a fresh name, that the service may use, so each test sees only its own objects.</summary>
    public static async Task<string> NewBucketAsync(string role)
    {
        string bucket = $"{role}-{Guid.NewGuid():N}";
        await moto.Account.GrantStagingAsync(service, bucket);
        return bucket;
    }

    /// <summary>
    /// Creates a customer of its own, with a bucket of a fresh name that keeps every version of each key (S3 versioning),
    /// a role that trusts this service with <see cref="ExternalId"/> and may put objects there: its bucket and role ARN.
    /// </summary>
    public static async Task<(string Bucket, string RoleArn)> NewVersionedCustomerAsync()
    {
        string name = $"versioned-{Guid.NewGuid():N}";
        CustomerRole role = await moto.Account.CreateCustomerRoleAsync(new CustomerRoleSetup { RoleName = name, ExternalId = ExternalId, Bucket = name }, service);
        using AmazonS3Client admin = moto.CreateClient(moto.AdministratorCredentials);
        await admin.PutBucketVersioningAsync(new Amazon.S3.Model.PutBucketVersioningRequest
        {
            BucketName = name,
            VersioningConfig = new Amazon.S3.Model.S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        });
        return (name, role.RoleArn);
    }

    /// <summary>How many versions each key under <paramref name="prefix"/> of <paramref name="bucket"/> has, read as the administrator.</summary>
    public static async Task<Dictionary<string, int>> VersionsAsync(string bucket, string prefix)
    {
        using AmazonS3Client admin = moto.CreateClient(moto.AdministratorCredentials);
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        var request = new Amazon.S3.Model.ListVersionsRequest { BucketName = bucket, Prefix = prefix };
        Amazon.S3.Model.ListVersionsResponse page;
        do
        {
            page = await admin.ListVersionsAsync(request);
            foreach (Amazon.S3.Model.S3ObjectVersion version in page.Versions ?? [])
            {
                versions[version.Key] = versions.GetValueOrDefault(version.Key) + 1;
            }

            request.KeyMarker = page.NextKeyMarker;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
        while (page.IsTruncated == true);

        return versions;
    }

    /// <summary>Every key in <paramref name="bucket"/>.</summary>
    public static Task<IReadOnlyList<string>> KeysAsync(string bucket) => moto.ListKeysAsync(bucket);

    /// <summary>
    /// Moves every object under <paramref name="from"/> in <paramref name="bucket"/> to the same key after
    /// <paramref name="to"/>, with its metadata but <c>rawdata-staged-for</c>: batches staged with a destination identity
    /// made into what the rawdata before identities staged, at <c>~{bucket}/...</c> with no record of whose bucket.
    /// </summary>
    public static Task MoveAsStagedWithoutIdentityAsync(string bucket, string from, string to) => MoveAsync(bucket, from, to, keepStagedFor: false);

    /// <summary>Moves every object under <paramref name="from"/> in <paramref name="bucket"/> to the same key after <paramref name="to"/>, as the administrator, with its metadata (but <c>rawdata-staged-for</c> unless <paramref name="keepStagedFor"/>).</summary>
    public static async Task MoveAsync(string bucket, string from, string to, bool keepStagedFor = true)
    {
        using Amazon.S3.AmazonS3Client s3 = moto.CreateClient(moto.AdministratorCredentials);
        foreach (string key in await moto.ListKeysAsync(bucket, from))
        {
            Amazon.S3.Model.GetObjectMetadataResponse head = await s3.GetObjectMetadataAsync(bucket, key);
            var copy = new Amazon.S3.Model.CopyObjectRequest
            {
                SourceBucket = bucket,
                SourceKey = key,
                DestinationBucket = bucket,
                DestinationKey = to + key[from.Length..],
                MetadataDirective = Amazon.S3.S3MetadataDirective.REPLACE,
                ContentType = head.Headers.ContentType,
            };
            foreach (string name in head.Metadata.Keys.Where(name => keepStagedFor || !name.EndsWith("rawdata-staged-for", StringComparison.Ordinal)))
            {
                copy.Metadata[name] = head.Metadata[name];
            }

            await s3.CopyObjectAsync(copy);
            await s3.DeleteObjectAsync(bucket, key);
        }
    }

    /// <summary>Writes an empty object at each of <paramref name="keys"/> in <paramref name="bucket"/>, as the administrator, a few at once.</summary>
    public static async Task PutEmptyAsync(string bucket, IEnumerable<string> keys)
    {
        using AmazonS3Client s3 = moto.CreateClient(moto.AdministratorCredentials);
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, token) =>
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = string.Empty }, token));
    }

    /// <summary>
    /// Rewrites the <c>rawdata-staged-at</c> metadata of every staged batch in <paramref name="stage"/> to
    /// <paramref name="ago"/> ago, keeping its bytes and other metadata: a batch staged then and never delivered.
    /// </summary>
    public static async Task AgeStagedAsync(string stage, TimeSpan ago)
    {
        using AmazonS3Client s3 = moto.CreateClient(moto.AdministratorCredentials);
        string stagedAt = (DateTimeOffset.UtcNow - ago).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        foreach (string key in (await moto.ListKeysAsync(stage)).Where(key => !key.EndsWith(".parked.json", StringComparison.Ordinal)))
        {
            GetObjectMetadataResponse head = await s3.GetObjectMetadataAsync(stage, key);
            var copy = new CopyObjectRequest { SourceBucket = stage, SourceKey = key, DestinationBucket = stage, DestinationKey = key, MetadataDirective = S3MetadataDirective.REPLACE, ContentType = head.Headers.ContentType };
            copy.Headers.ContentEncoding = head.Headers.ContentEncoding;
            foreach (string name in head.Metadata.Keys)
            {
                copy.Metadata[name] = head.Metadata[name];
            }

            copy.Metadata["x-amz-meta-rawdata-staged-at"] = stagedAt;
            await s3.CopyObjectAsync(copy);
        }
    }

    /// <summary>The lines of every gzipped object under <paramref name="prefix"/> of <paramref name="bucket"/>, by key, read as the administrator (as a customer would).</summary>
    public static async Task<Dictionary<string, string[]>> ReadAllAsync(string bucket, string prefix)
    {
        var objects = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (string key in await moto.ListKeysAsync(bucket, prefix))
        {
            objects[key] = Gzip.Lines(await moto.GetObjectBytesAsync(bucket, key));
        }

        return objects;
    }

    /// <summary>The <c>messageId</c> of every line of every object of <paramref name="sourceId"/> in <see cref="Bucket"/>.</summary>
    public static async Task<List<string>> MessageIdsAsync(string sourceId) =>
        [.. Integration.Objects.MessageIds((await ReadAllAsync(Bucket, $"segment-logs/{sourceId}/")).Values.SelectMany(lines => lines))];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        moto = await MotoPeer.StartAsync();
        service = await moto.Account.CreateServiceIdentityAsync("rawdata-process-tests");
        await moto.Account.CreateCustomerRoleAsync(new CustomerRoleSetup { RoleName = RoleName, ExternalId = ExternalId, Bucket = Bucket }, service);
        await moto.Account.CreateCustomerRoleAsync(new CustomerRoleSetup { RoleName = OtherRoleName, ExternalId = OtherExternalId, Bucket = Bucket }, service);
        ServiceCredentials = service.Environment();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await moto.DisposeAsync();
}
