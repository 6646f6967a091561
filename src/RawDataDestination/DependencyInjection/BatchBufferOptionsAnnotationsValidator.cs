using Microsoft.Extensions.Options;
using RawDataDestination.Batching;

namespace RawDataDestination.DependencyInjection;

/// <summary>The DataAnnotations of <see cref="BatchBufferOptions"/>, checked by a source-generated validator (no reflection).</summary>
[OptionsValidator]
internal sealed partial class BatchBufferOptionsAnnotationsValidator : IValidateOptions<BatchBufferOptions>
{
}
