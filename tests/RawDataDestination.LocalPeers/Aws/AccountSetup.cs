using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace RawDataDestination.LocalPeers.Aws;

/// <summary>
/// Sets up an AWS account (moto's, for the tests and the demo) through its public APIs, as an administrator would:
/// the service's identity, customers' buckets and roles, a KMS key, the service's staging bucket. Every call after the
/// first <see cref="BootstrapRequests"/> is signed with the administrator's key and checked by the endpoint.
/// </summary>
internal sealed class AccountSetup : IDisposable
{
    /// <summary>Requests that <see cref="CreateAdministratorAsync"/> makes before it has a key of its own; start moto with INITIAL_NO_AUTH_ACTION_COUNT set to this.</summary>
    public const int BootstrapRequests = 3;

    /// <summary>The account moto puts everything in.</summary>
    public const string AccountId = "123456789012";

    private const string AdministratorName = "administrator";
    private readonly AwsApi api;
    private readonly AmazonS3Client s3;

    /// <summary>Initializes a new instance of the <see cref="AccountSetup"/> class that acts as <paramref name="administrator"/>.</summary>
    public AccountSetup(Uri endpoint, AccessKey administrator)
    {
        Endpoint = endpoint;
        Administrator = administrator;
        api = new AwsApi(endpoint, administrator);
        s3 = CreateS3Client(endpoint, new BasicAWSCredentials(administrator.AccessKeyId, administrator.SecretAccessKey));
    }

    /// <summary>Gets the endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the administrator's key.</summary>
    public AccessKey Administrator { get; }

    /// <summary>Gets an S3 client acting as the administrator (for creating buckets and reading back what was written).</summary>
    public AmazonS3Client AdministratorS3 => s3;

    /// <summary>
    /// Creates the account's first administrator, an IAM user allowed everything, in the <see cref="BootstrapRequests"/>
    /// requests the endpoint does not check, and returns its key.
    /// </summary>
    public static async Task<AccessKey> CreateAdministratorAsync(Uri endpoint)
    {
        using var unchecked_ = new AwsApi(endpoint, new AccessKey("AKIABOOTSTRAPONLY000", "not-checked-for-the-first-requests"));
        await unchecked_.IamAsync("CreateUser", ("UserName", AdministratorName));
        await unchecked_.IamAsync("PutUserPolicy", ("UserName", AdministratorName), ("PolicyName", "administrator"), ("PolicyDocument", Policies.Administrator()));
        XDocument key = await unchecked_.IamAsync("CreateAccessKey", ("UserName", AdministratorName));
        return new AccessKey(AwsApi.Value(key, "AccessKeyId"), AwsApi.Value(key, "SecretAccessKey"));
    }

    /// <summary>An S3 client for a local endpoint: path-style, us-east-1, checksums only when required.</summary>
    public static AmazonS3Client CreateS3Client(Uri endpoint, AWSCredentials credentials) => new(credentials, new AmazonS3Config
    {
        ServiceURL = endpoint.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Creates the service's identity: an IAM user with an access key and, as yet, no permission at all.</summary>
    public async Task<ServiceIdentity> CreateServiceIdentityAsync(string userName)
    {
        XDocument user = await api.IamAsync("CreateUser", ("UserName", userName));
        XDocument key = await api.IamAsync("CreateAccessKey", ("UserName", userName));
        return new ServiceIdentity(userName, AwsApi.Value(user, "Arn"), new AccessKey(AwsApi.Value(key, "AccessKeyId"), AwsApi.Value(key, "SecretAccessKey")));
    }

    /// <summary>
    /// The customer's side: creates the bucket (if missing) and a role that trusts only <paramref name="service"/> with
    /// the external id and may only put objects under the prefixes; then the operator's side: lets the service assume it.
    /// </summary>
    public async Task<CustomerRole> CreateCustomerRoleAsync(CustomerRoleSetup setup, ServiceIdentity service)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(service);
        await CreateBucketAsync(setup.Bucket);
        string trust = Policies.CustomerTrust(service.Arn, setup.ExternalId);
        string permissions = Policies.CustomerPermissions(setup.Bucket, setup.Prefixes, setup.KmsKeyArn);
        XDocument role = await api.IamAsync("CreateRole", ("RoleName", setup.RoleName), ("AssumeRolePolicyDocument", trust));
        await api.IamAsync("PutRolePolicy", ("RoleName", setup.RoleName), ("PolicyName", "segment-s3-upload"), ("PolicyDocument", permissions));
        string roleArn = AwsApi.Value(role, "Arn");
        await api.IamAsync("PutUserPolicy", ("UserName", service.UserName), ("PolicyName", "assume-" + setup.RoleName), ("PolicyDocument", Policies.ServiceAssumeRole(roleArn)));
        return new CustomerRole(roleArn, trust, permissions);
    }

    /// <summary>Adds a permission policy to a role (a customer letting its role write to another bucket, say).</summary>
    public Task PutRolePolicyAsync(string roleName, string policyName, string document) =>
        api.IamAsync("PutRolePolicy", ("RoleName", roleName), ("PolicyName", policyName), ("PolicyDocument", document));

    /// <summary>Removes a permission policy from a role.</summary>
    public Task DeleteRolePolicyAsync(string roleName, string policyName) =>
        api.IamAsync("DeleteRolePolicy", ("RoleName", roleName), ("PolicyName", policyName));

    /// <summary>Attaches (or replaces) a permission policy of the service's user.</summary>
    public Task PutUserPolicyAsync(ServiceIdentity service, string policyName, string document)
    {
        ArgumentNullException.ThrowIfNull(service);
        return api.IamAsync("PutUserPolicy", ("UserName", service.UserName), ("PolicyName", policyName), ("PolicyDocument", document));
    }

    /// <summary>Creates the staging bucket (if missing) and lets the service use it under <paramref name="stagePrefix"/>.</summary>
    public async Task GrantStagingAsync(ServiceIdentity service, string bucket, string stagePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(service);
        await CreateBucketAsync(bucket);
        await api.IamAsync("PutUserPolicy", ("UserName", service.UserName), ("PolicyName", "staging-" + bucket), ("PolicyDocument", Policies.ServiceStaging(bucket, stagePrefix)));
    }

    /// <summary>Creates a symmetric KMS key (the customer's key for SSE-KMS) and returns its ARN.</summary>
    public async Task<string> CreateKmsKeyAsync(string description)
    {
        string answer = await api.KmsAsync("CreateKey", JsonSerializer.Serialize(new Dictionary<string, string> { ["Description"] = description }));
        using var json = JsonDocument.Parse(answer);
        return json.RootElement.GetProperty("KeyMetadata").GetProperty("Arn").GetString()!;
    }

    /// <summary>Creates <paramref name="bucket"/> unless it exists.</summary>
    public async Task CreateBucketAsync(string bucket)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    /// <summary>The ARN of a role of this account.</summary>
    public static string RoleArn(string roleName) => string.Create(CultureInfo.InvariantCulture, $"arn:aws:iam::{AccountId}:role/{roleName}");

    public void Dispose()
    {
        api.Dispose();
        s3.Dispose();
    }
}
