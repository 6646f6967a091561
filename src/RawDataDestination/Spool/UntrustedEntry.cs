namespace RawDataDestination.Spool;

/// <summary>Something found in the spool at start that the spool did not write, or cannot trust: recovery quarantines it and says why.</summary>
/// <param name="Path">Where it was found.</param>
/// <param name="Reason">Why it is not trusted.</param>
/// <param name="SetAsideTo">
/// Where it was already moved, when it stood where the spool needs one of its own (<c>spool.lock</c> or a top folder):
/// renamed beside it, in the spool's folder, before the spool used that name. <see langword="null"/> when recovery moves it.
/// </param>
internal readonly record struct UntrustedEntry(string Path, string Reason, string? SetAsideTo = null);
