using System.Reflection;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// Options with every public settable property changed from its default, found by reflection: a property added later is
/// changed too, so a copy that leaves it out fails the test that compares.
/// </summary>
internal static class EverySetting
{
    /// <summary>The public settable properties of <typeparamref name="T"/>.</summary>
    public static PropertyInfo[] Of<T>() =>
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true })];

    /// <summary>A new <typeparamref name="T"/> with each public settable property set to a value other than its default.</summary>
    /// <remarks>
    /// Only immutable types have a value here (strings, URIs, value types): a property of another type fails, because
    /// a copy of the options would share it, and whoever adds one decides how it is copied.
    /// </remarks>
    public static T Changed<T>()
        where T : new()
    {
        var options = new T();
        foreach (PropertyInfo property in Of<T>())
        {
            property.SetValue(options, OtherThan(property, property.GetValue(options)));
        }

        return options;
    }

    private static object OtherThan(PropertyInfo property, object? current)
    {
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type switch
        {
            _ when type == typeof(string) => $"{property.Name}-{current}-changed",
            _ when type == typeof(bool) => !(bool)(current ?? false),
            _ when type == typeof(int) => (int)(current ?? 0) + 1,
            _ when type == typeof(TimeSpan) => (TimeSpan)(current ?? TimeSpan.Zero) + TimeSpan.FromSeconds(1),
            _ when type == typeof(Uri) => new Uri($"http://{property.Name.ToLowerInvariant()}.example/"),
            { IsEnum: true } => Enum.GetValues(type).Cast<object>().First(v => !v.Equals(current)),
            _ => throw new AssertionException($"{typeof(EverySetting).Name} has no value for {property.DeclaringType!.Name}.{property.Name} ({type.Name}): add one, and make sure a copy of the options does not share it if it is mutable"),
        };
    }
}
