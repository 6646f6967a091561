namespace RawDataDestination.S3;

/// <summary>How objects are encrypted at rest.</summary>
public enum ObjectEncryption
{
    /// <summary>No encryption header: the bucket's default encryption applies. The default.</summary>
    BucketDefault,

    /// <summary>SSE-S3: <c>x-amz-server-side-encryption: AES256</c>.</summary>
    Aes256,

    /// <summary>SSE-KMS with <see cref="S3RoleDestinationOptions.KmsKeyId"/>. The role needs <c>kms:GenerateDataKey</c> on the key.</summary>
    Kms,
}
