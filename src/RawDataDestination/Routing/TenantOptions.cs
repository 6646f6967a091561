using RawDataDestination.S3;

namespace RawDataDestination.Routing;

/// <summary>
/// One customer in <see cref="TenantDestinationsOptions"/>: the sources that are theirs and their destination's
/// settings. Settings not given here come from <see cref="TenantDestinationsOptions.Defaults"/>.
/// </summary>
public sealed class TenantOptions
{
    /// <summary>Gets or sets the customer's name: their lane, and what operators see when it fails.</summary>
    /// <value>The default value is <see langword="null"/>: the first of <see cref="Sources"/>.</value>
    public string? Name { get; set; }

    /// <summary>Gets the source ids whose events go to this customer's bucket. A source may belong to one customer only.</summary>
    /// <value>At least one. Empty by default.</value>
    public IList<string> Sources { get; } = [];

    /// <summary>Gets or sets the bucket's AWS region, such as <c>us-west-2</c> (see <see cref="S3RoleDestinationOptions.Region"/>).</summary>
    /// <value>Required, here or in the defaults.</value>
    public string? Region { get; set; }

    /// <summary>Gets or sets the bucket with an optional path prefix, such as <c>mybucket/path/prefix</c> (see <see cref="S3RoleDestinationOptions.Bucket"/>).</summary>
    /// <value>Required.</value>
    public string? Bucket { get; set; }

    /// <summary>Gets or sets the ARN of the customer's IAM role (see <see cref="S3RoleDestinationOptions.RoleArn"/>).</summary>
    /// <value>Required.</value>
    public string? RoleArn { get; set; }

    /// <summary>Gets or sets the external id the role's trust policy requires (see <see cref="S3RoleDestinationOptions.ExternalId"/>).</summary>
    /// <value>Required.</value>
    public string? ExternalId { get; set; }

    /// <summary>Gets or sets the canned ACL sent with each object (see <see cref="S3RoleDestinationOptions.Acl"/>).</summary>
    /// <value>The default value is <see langword="null"/>: the defaults' ACL.</value>
    public ObjectAcl? Acl { get; set; }

    /// <summary>Gets or sets how objects are encrypted at rest (see <see cref="S3RoleDestinationOptions.Encryption"/>).</summary>
    /// <value>The default value is <see langword="null"/>: the defaults' encryption.</value>
    public ObjectEncryption? Encryption { get; set; }

    /// <summary>Gets or sets the KMS key for <see cref="ObjectEncryption.Kms"/> (see <see cref="S3RoleDestinationOptions.KmsKeyId"/>).</summary>
    /// <value>The default value is <see langword="null"/>: the defaults' key.</value>
    public string? KmsKeyId { get; set; }

    /// <summary>Gets or sets the 12-digit AWS account id that must own the customer's bucket (see <see cref="S3RoleDestinationOptions.ExpectedBucketOwner"/>).</summary>
    /// <value>The default value is <see langword="null"/>: the defaults' value, which is none unless they set one.</value>
    public string? ExpectedBucketOwner { get; set; }

    /// <summary>
    /// Gets or sets why this entry's values could not be read (a value of the wrong form, named with its configuration
    /// path); <see langword="null"/> when they were. Set by <c>AddTenantDestinations</c>'s binding, which then binds only
    /// the entry's <see cref="Name"/> and <see cref="Sources"/>: the tenant is parked, its batches refused with this reason.
    /// </summary>
    internal string? Unreadable { get; set; }
}
