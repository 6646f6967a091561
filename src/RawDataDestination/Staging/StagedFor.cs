namespace RawDataDestination.Staging;

/// <summary>
/// Whose bucket a host's staged batches are for, beyond the bucket's name, as the host tells it (<c>rawdata</c>: the
/// partition, role, a digest of the external id and the expected owner). Two customers' buckets of one name (in other
/// partitions or stores, reached with other roles) then have staging prefixes of their own (<see cref="Tag"/> in
/// <see cref="StagingKeys"/>), and each staged batch carries <see cref="Record"/> in its metadata, so that a copier run
/// for another customer finds none of them to send and its host can say whose they are.
/// </summary>
/// <param name="Tag">
/// A digest of the whole identity (the bucket and path prefix included): 1 to 64 lowercase letters and digits
/// (<see cref="StagingKeys.TagError"/>). It names the staging prefix; a change of any part gives another prefix.
/// </param>
/// <param name="Record">
/// The identity in the host's own words, kept as metadata of each staged batch (ASCII, no secrets: an external id only as
/// a digest), for the host to read back (<see cref="StagingStore.GetStagedForAsync"/>) and name what differs.
/// </param>
internal sealed record StagedFor(string Tag, string Record);
