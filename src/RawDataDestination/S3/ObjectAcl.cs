namespace RawDataDestination.S3;

/// <summary>The canned ACL sent with each object.</summary>
public enum ObjectAcl
{
    /// <summary><c>bucket-owner-full-control</c>: the bucket owner gets full control of objects the role writes. The default.</summary>
    BucketOwnerFullControl,

    /// <summary>No ACL header. Use this for buckets with ACLs disabled ("bucket owner enforced"), where any ACL but the owner's is refused.</summary>
    None,

    /// <summary><c>bucket-owner-read</c>: the bucket owner may read objects the role writes.</summary>
    BucketOwnerRead,

    /// <summary><c>private</c>: only the object's owner has access.</summary>
    Private,
}
