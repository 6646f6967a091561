using Microsoft.Extensions.Options;
using RawDataDestination.S3;

namespace RawDataDestination.DependencyInjection;

/// <summary>The DataAnnotations of <see cref="S3RoleDestinationOptions"/>, checked by a source-generated validator (no reflection).</summary>
[OptionsValidator]
internal sealed partial class S3RoleDestinationOptionsAnnotationsValidator : IValidateOptions<S3RoleDestinationOptions>
{
}
