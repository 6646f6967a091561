using System.Reflection;

namespace RawDataDestination.Tests;

/// <summary>
/// The library's namespaces form layers that point one way: a namespace uses only those before it in
/// <see cref="NamespaceLayers.Order"/>, so no namespace cycle can come back. Read from the compiled assembly: every
/// type's base type, interfaces, fields, properties, events, method signatures, locals, and what its method bodies
/// reference (resolved from their IL).
/// </summary>
public class NamespaceLayersTests
{
    private static readonly Assembly Library = typeof(S3RoleDestination).Assembly;

    [Test]
    public void Library_EveryNamespace_UsesOnlyNamespacesBeforeIt()
    {
        List<NamespaceLayers.Use> backward = NamespaceLayers.UsesAgainstTheOrder(Library);

        Assert.That(
            backward,
            Is.Empty,
            "These types use a namespace after their own in the order " + string.Join(" → ", NamespaceLayers.Order.Select(NamespaceLayers.Name))
            + ":" + Environment.NewLine + string.Join(Environment.NewLine, backward.Select(use => "  " + use)));
    }

    [Test]
    public void Library_EveryNamespace_IsInTheOrder()
    {
        string[] unknown = [.. Library.GetTypes()
            .Select(NamespaceLayers.LayerOf)
            .Where(layer => layer is not null && !NamespaceLayers.Order.Contains(layer))
            .Select(layer => layer!)
            .Distinct()];

        Assert.That(unknown, Is.Empty, "Namespaces missing from NamespaceLayers.Order: place each where it belongs.");
    }

    [Test]
    public void ReferencesOf_AMethodBodyOnlyUse_IsFound()
    {
        // SealPolicy names the batch-id maker only inside a method body: the reader must see through IL.
        Type sealPolicy = Library.GetType("RawDataDestination.Batching.SealPolicy", throwOnError: true)!;

        IEnumerable<string?> used = WithNested(sealPolicy).SelectMany(NamespaceLayers.ReferencesOf).Select(type => type.FullName);

        Assert.That(used, Does.Contain("RawDataDestination.Batching.BatchNaming"));
    }

    [Test]
    public void UsesAgainstTheOrder_ATypeThatUsesALaterNamespace_IsNamed()
    {
        // S3RoleDestination (S3) implements Batching's consumer contract: seen from an order that puts S3 first, that
        // is a use against the order.
        string[] reversed = ["S3", "Batching"];

        List<NamespaceLayers.Use> backward = NamespaceLayers.UsesAgainstTheOrder(Library, reversed);

        Assert.That(backward.Select(use => use.ToString()), Has.Some.StartsWith("S3.S3RoleDestination → Batching."));
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested).Prepend(type);
}
