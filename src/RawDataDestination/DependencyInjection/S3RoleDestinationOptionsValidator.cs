using Microsoft.Extensions.Options;
using RawDataDestination.S3;

namespace RawDataDestination.DependencyInjection;

/// <summary>
/// The rules of <see cref="S3RoleDestinationOptions"/> that DataAnnotations can't say (formats, and rules that span
/// fields, such as a KMS key with SSE-KMS): the same rules, and messages, that guard the destination's constructor.
/// </summary>
internal sealed class S3RoleDestinationOptionsValidator : IValidateOptions<S3RoleDestinationOptions>
{
    public ValidateOptionsResult Validate(string? name, S3RoleDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // A required setting that is missing is DataAnnotations' to report ([Required]); say it once.
        List<string> problems = S3RoleDestinationSettings.Validate(options)
            .Where(problem => !IsMissingRequired(options, problem.Setting))
            .Select(problem => problem.Message)
            .ToList();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(problem => $"S3RoleDestination '{(string.IsNullOrEmpty(name) ? Options.DefaultName : name)}': {problem}"));
    }

    private static bool IsMissingRequired(S3RoleDestinationOptions options, string setting) => setting switch
    {
        "Region" => string.IsNullOrEmpty(options.Region),
        "Bucket" => string.IsNullOrEmpty(options.Bucket),
        "RoleArn" => string.IsNullOrEmpty(options.RoleArn),
        "ExternalId" => string.IsNullOrEmpty(options.ExternalId),
        _ => false,
    };
}
