using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace RawDataDestination.Cli;

/// <summary>
/// Whole numbers on the command line (<c>--count</c>, <c>--max-batch-bytes</c>...): a value that is not one, or is too
/// large for the option, is refused naming the option and what to enter, never the .NET type it is read into.
/// </summary>
internal static class WholeNumber
{
    /// <summary>Reads <paramref name="result"/>'s value, or adds an error naming <paramref name="name"/> and <paramref name="example"/>.</summary>
    /// <typeparam name="T">The option's integer type.</typeparam>
    /// <param name="result">The option's argument.</param>
    /// <param name="name">The option as its help names it.</param>
    /// <param name="example">A value to show, such as the default.</param>
    /// <returns>The value, or zero after an error (the command does not run then).</returns>
    public static T Parse<T>(ArgumentResult result, string name, T example)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value.Trim();
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out T value))
        {
            return value;
        }

        string why = text.Length > 0 && text.All(char.IsAsciiDigit)
            ? string.Create(CultureInfo.InvariantCulture, $"it is too large; give a whole number up to {T.MaxValue}")
            : "give a whole number";
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} is '{text}'; {why}, such as {example}."));
        return T.Zero;
    }
}
