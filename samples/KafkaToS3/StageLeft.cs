namespace RawDataDestination.KafkaToS3;

/// <summary>
/// What the copiers left in the staging bucket at the end of a run, for the last line: the number of batches staged for
/// these tenants' buckets, or why it is not known.
/// </summary>
/// <param name="Count">The batches left staged; <see langword="null"/> when the stage was not listed.</param>
/// <param name="NotListed">Why the stage was not listed, as the last line says it (<c>this service has no AWS credentials</c>); <see langword="null"/> with a count.</param>
internal readonly record struct StageLeft(int? Count, string? NotListed)
{
    /// <summary>
    /// Gets the batches staged for a bucket and path prefix no tenant lists now (a tenant removed from the file, or given
    /// another bucket), by destination: no copier of this worker delivers them.
    /// </summary>
    public IReadOnlyDictionary<string, int>? Unowned { get; init; }

    /// <summary>
    /// Gets the batches staged under an earlier identity of a bucket and path prefix a tenant lists now with another (its
    /// role, external id or expected owner changed in the tenants file: a rotation), by tenant and the two staging prefixes:
    /// no copier takes them (the identity guards against another customer's bucket of the same name), and the remedy that
    /// works is to move them to the tenant's prefix now, not to list the tenant again with values its customer no longer
    /// trusts. Counted apart from <see cref="Unowned"/>.
    /// </summary>
    public IReadOnlyDictionary<RotatedIdentity, int>? Rotated { get; init; }

    /// <summary>The batches left staged.</summary>
    public static StageLeft Listed(int count) => new(count, null);

    /// <summary>The stage was not listed, for the reason given.</summary>
    public static StageLeft NotListedFor(string why) => new(null, why);
}

/// <summary>A tenant whose batches are staged under an earlier identity: the staging prefix they are under, and the one its copier lists now.</summary>
/// <param name="Tenant">The tenant that lists the bucket and path prefix now.</param>
/// <param name="From">The staging prefix of the earlier identity (<c>~BUCKET~OLDTAG/...</c>).</param>
/// <param name="To">The tenant's staging prefix now (<c>~BUCKET~TAG/...</c>).</param>
internal readonly record struct RotatedIdentity(string Tenant, string From, string To) : IComparable<RotatedIdentity>
{
    /// <inheritdoc/>
    public int CompareTo(RotatedIdentity other) =>
        string.CompareOrdinal(Tenant, other.Tenant) is var byTenant and not 0 ? byTenant : string.CompareOrdinal(From, other.From);
}
