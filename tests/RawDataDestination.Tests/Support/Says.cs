using NUnit.Framework.Constraints;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// What a message or a program's output must say, as one constraint: every fragment, or an opening and then every
/// fragment. One assertion names everything expected, so a failure shows the whole list beside the text.
/// </summary>
public static class Says
{
    /// <summary>The text contains each of <paramref name="fragments"/>.</summary>
    public static Constraint All(string first, params string[] fragments) => Chain(Does.Contain(first), fragments);

    /// <summary>The text starts with <paramref name="start"/> and contains each of <paramref name="fragments"/>.</summary>
    public static Constraint StartingWith(string start, params string[] fragments) => Chain(Does.StartWith(start), fragments);

    private static Constraint Chain(Constraint first, IEnumerable<string> fragments) =>
        fragments.Aggregate(first, (said, fragment) => said.And.Contain(fragment));
}
