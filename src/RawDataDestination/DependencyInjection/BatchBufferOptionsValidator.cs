using Microsoft.Extensions.Options;
using RawDataDestination.Batching;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// The rules of <see cref="BatchBufferOptions"/>, and messages, that guard the buffer's constructor, checked when the
/// host starts. Every problem is reported at once.
/// </summary>
internal sealed class BatchBufferOptionsValidator : IValidateOptions<BatchBufferOptions>
{
    // Settings whose range DataAnnotations report ([Range], BatchBufferOptionsAnnotationsValidator); say it once.
    private static readonly string[] AnnotatedSettings =
        ["MaxEventBytes", "MaxPendingBatches", "MaxPendingBatchesPerLane", "MaxConcurrentUploads", "MaxConcurrentUploadsPerLane", "MaxOpenBatches", "MaxSpoolBytes", "CompressionThreads"];

    public ValidateOptionsResult Validate(string? name, BatchBufferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> problems = options.Problems()
            .Where(problem => !AnnotatedSettings.Contains(problem.Setting))
            .Select(problem => problem.Message)
            .ToList();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(problem => $"BatchBuffer: {problem}"));
    }
}
