namespace RawDataDestination.HostedWorker;

/// <summary>The sample's own settings (section <c>Worker</c>).</summary>
internal sealed class WorkerOptions
{
    /// <summary>Gets or sets the source id of the events. The default is <c>hosted-worker</c>.</summary>
    public string SourceId { get; set; } = "hosted-worker";

    /// <summary>Gets or sets how many events to generate before stopping; 0 reads stdin instead. The default is 0.</summary>
    public int Events { get; set; }
}
