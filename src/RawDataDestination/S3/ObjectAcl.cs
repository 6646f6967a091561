namespace RawDataDestination.S3;

/// <summary>The canned ACL sent with each object.</summary>
/// <remarks>
/// In 1.x, <see cref="None"/> is 1 and 0 is <see cref="BucketOwnerFullControl"/>, the default. Readers expect a member
/// named None to be 0. The numbers stay as they are in 1.x, since changing them would break compiled callers. 2.0 makes
/// <see cref="None"/> 0. <see cref="S3RoleDestinationOptions.Acl"/> keeps <see cref="BucketOwnerFullControl"/> as its
/// default, set by the options rather than by the enum's 0. Settings name the ACL (<c>"Acl": "None"</c>), so they
/// don't change.
/// </remarks>
public enum ObjectAcl
{
    /// <summary><c>bucket-owner-full-control</c>: the bucket owner gets full control of objects the role writes. The default.</summary>
    BucketOwnerFullControl = 0,

    /// <summary>No ACL header. Use this for buckets with ACLs disabled ("bucket owner enforced"), where any ACL but the owner's is refused.</summary>
    None = 1,

    /// <summary><c>bucket-owner-read</c>: the bucket owner may read objects the role writes.</summary>
    BucketOwnerRead = 2,

    /// <summary><c>private</c>: only the object's owner has access.</summary>
    Private = 3,
}
