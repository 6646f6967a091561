namespace RawDataDestination.S3;

/// <summary>Whether PutObject sends <c>If-None-Match: *</c>, so an object is never overwritten.</summary>
public enum ConditionalWrites
{
    /// <summary>On against AWS; off when <see cref="S3RoleDestinationOptions.ServiceUrl"/> points elsewhere. The default.</summary>
    Auto,

    /// <summary>Always send <c>If-None-Match: *</c>. A store that answers 501 NotImplemented gets plain PUTs from then on, with one warning in the log.</summary>
    Enabled,

    /// <summary>Never send it.</summary>
    Disabled,
}
