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

    /// <summary>The batches left staged.</summary>
    public static StageLeft Listed(int count) => new(count, null);

    /// <summary>The stage was not listed, for the reason given.</summary>
    public static StageLeft NotListedFor(string why) => new(null, why);
}
