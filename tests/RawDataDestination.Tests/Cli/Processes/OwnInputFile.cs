namespace RawDataDestination.Tests.Cli.Processes;

/// <summary>
/// What a process test of <c>rawdata ship</c> over a file starts from: a source id of its own (<c>{name}-{guid}</c>)
/// and a folder of its own (<c>rawdata-{name}-…</c>) holding the input file, <c>events.ndjson</c>, and whatever the
/// test puts beside it (a spool).
/// </summary>
internal sealed class OwnInputFile(string name) : IDisposable
{
    private readonly TempDirectory _folder = new($"rawdata-{name}-");

    public string Source { get; } = $"{name}-{Guid.NewGuid():N}";

    public string Folder => _folder.Path;

    /// <summary>Gets the path of the input file in <see cref="Folder"/> (not written yet).</summary>
    public string Input => Path.Combine(Folder, "events.ndjson");

    public void Deconstruct(out string source, out string folder, out string input) => (source, folder, input) = (Source, Folder, Input);

    public void Dispose() => _folder.Dispose();
}
