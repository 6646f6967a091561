namespace RawDataDestination.Tests.Integration;

/// <summary>
/// The AWS every integration test runs against: one moto with IAM enforced, set up as a customer and an operator
/// would, started once and stopped by PID. The service's identity (an IAM user) may only assume the customer's role;
/// the role trusts only that identity, only with <see cref="ExternalId"/>, and may only put objects under
/// <c>{bucket}/{prefix/}segment-logs/*</c> for the prefixes in <see cref="Prefixes"/> (plus kms:GenerateDataKey on
/// <see cref="KmsKeyArn"/>). A test that writes under another prefix of <see cref="Bucket"/> adds it there.
/// </summary>
[SetUpFixture]
public sealed class SharedPeers
{
    public const string Bucket = "raw-bucket";
    public const string RoleName = "SegmentS3Upload";
    public static string RoleArn { get; } = AccountSetup.RoleArn(RoleName);
    public const string ExternalId = "ext-id-4242";

    /// <summary>The path prefixes of <see cref="Bucket"/> the role may write under ("" for none).</summary>
    public static readonly string[] Prefixes = ["", "path/prefix", "segment-logs/test", "trimmed", "team/raw", "first", "replay"];

    /// <summary>Gets moto: S3, STS, IAM and KMS at <see cref="MotoPeer.ServiceUrl"/>.</summary>
    public static MotoPeer S3 { get; private set; } = null!;

    /// <summary>Gets the fault proxy in front of moto's STS, which the destinations use (outages, expiry, counts).</summary>
    internal static StsProxy Sts { get; private set; } = null!;

    /// <summary>Gets the service's own identity: the base credentials of every AssumeRole.</summary>
    internal static ServiceIdentity Service { get; private set; } = null!;

    /// <summary>Gets the customer's role as created, with its two policies.</summary>
    internal static CustomerRole Role { get; private set; } = null!;

    /// <summary>Gets the customer's KMS key, which the role may use for SSE-KMS.</summary>
    public static string KmsKeyArn { get; private set; } = null!;

    /// <summary>A new credentials object for the service's key, equal only to itself: no credential cache shared between tests.</summary>
    public static AWSCredentials ServiceCredentials() => new OwnCredentials(Service.Key.AccessKeyId, Service.Key.SecretAccessKey);

    /// <summary>The service's key as the environment of a child process (the SDK's default chain).</summary>
    public static Dictionary<string, string> ServiceEnvironment() => Service.Environment();

    /// <summary>Lets the customer's role also put objects under <c>{bucket}/{prefix/}segment-logs/*</c> (creating the bucket).</summary>
    public static async Task AllowRoleToWriteAsync(string bucket, string prefix = "")
    {
        await S3.CreateBucketAsync(bucket);
        await S3.Account.PutRolePolicyAsync(RoleName, $"write-{bucket}-{prefix.Replace('/', '-')}", Policies.CustomerPermissions(bucket, [prefix], null));
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        S3 = await MotoPeer.StartAsync();
        Sts = StsProxy.Start(S3.ServiceUrl);
        Service = await S3.Account.CreateServiceIdentityAsync("rawdata-service");
        KmsKeyArn = await S3.Account.CreateKmsKeyAsync("the customer's key for SSE-KMS");
        Role = await S3.Account.CreateCustomerRoleAsync(
            new CustomerRoleSetup { RoleName = RoleName, ExternalId = ExternalId, Bucket = Bucket, Prefixes = Prefixes, KmsKeyArn = KmsKeyArn },
            Service);
        RawdataProgram.BaseCredentialsEnvironment = ServiceEnvironment();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Sts.DisposeAsync();
        await S3.DisposeAsync();
    }
}
