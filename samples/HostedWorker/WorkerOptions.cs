using Microsoft.Extensions.Options;
using RawDataDestination.Batching;

namespace RawDataDestination.HostedWorker;

/// <summary>The sample's own settings (section <c>Worker</c>).</summary>
internal sealed class WorkerOptions
{
    /// <summary>Gets or sets the source id of the events. The default is <c>hosted-worker</c>.</summary>
    public string SourceId { get; set; } = "hosted-worker";

    /// <summary>Gets or sets how many events to generate before stopping; 0 reads stdin instead. The default is 0.</summary>
    public int Events { get; set; }

    /// <summary>Checks <see cref="SourceId"/> at start: one the buffer refuses would have every event refused, and exit 0.</summary>
    internal sealed class SourceIdValidator : IValidateOptions<WorkerOptions>
    {
        public ValidateOptionsResult Validate(string? name, WorkerOptions options) =>
            SourceIdRules.IsValid(options.SourceId, out string? reason) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail("Worker:" + reason);
    }
}
