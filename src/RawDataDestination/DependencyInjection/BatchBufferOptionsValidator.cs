using Microsoft.Extensions.Options;
using RawDataDestination.Batching;

namespace RawDataDestination.DependencyInjection;

/// <summary>The rules of <see cref="BatchBufferOptions"/>, and messages, that guard the buffer's constructor, checked when the host starts.</summary>
internal sealed class BatchBufferOptionsValidator : IValidateOptions<BatchBufferOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchBufferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Validate() is { } problem
            ? ValidateOptionsResult.Fail($"BatchBuffer: {problem}")
            : ValidateOptionsResult.Success;
    }
}
