using System.Reflection;
using System.Reflection.Emit;

namespace RawDataDestination.Tests.Support;

/// <summary>
/// Reads which types each type of an assembly uses, from its metadata and its IL, and checks them against the order of
/// the library's namespaces (the README's "Repository" section): a namespace may use only those before it.
/// </summary>
internal static class NamespaceLayers
{
    private const string Root = "RawDataDestination";

    private const BindingFlags Declared =
        BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>The library's namespaces, lowest first, by their name under <c>RawDataDestination</c> (the root itself is "").</summary>
    public static readonly string[] Order =
    [
        "Internal", "Ndjson", "Spool", "Batching", "Aws", "Sts", "S3", "Staging", "Routing", "Personas", "DependencyInjection", "",
    ];

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    /// <summary>The name a layer is shown by: its namespace under the root, or the root's own name.</summary>
    public static string Name(string layer) => layer.Length == 0 ? Root : layer;

    /// <summary>The layer of a type: its namespace under <c>RawDataDestination</c>; <see langword="null"/> for a type outside it.</summary>
    public static string? LayerOf(Type type)
    {
        string? ns = Element(type).Namespace;
        return ns == Root ? string.Empty
            : ns is not null && ns.StartsWith(Root + ".", StringComparison.Ordinal) ? ns[(Root.Length + 1)..].Split('.')[0]
            : null;
    }

    /// <summary>Every use, by a type of <paramref name="assembly"/>, of a type in a layer after its own in <paramref name="order"/>.</summary>
    public static List<Use> UsesAgainstTheOrder(Assembly assembly, IReadOnlyList<string>? order = null)
    {
        order ??= Order;
        var uses = new SortedSet<Use>();
        foreach (Type type in assembly.GetTypes())
        {
            int from = LayerOf(type) is { } layer ? IndexOf(order, layer) : -1;
            if (from < 0)
            {
                continue;
            }

            foreach (Type used in ReferencesOf(type))
            {
                if (LayerOf(used) is { } usedLayer && IndexOf(order, usedLayer) > from)
                {
                    uses.Add(new Use(Shown(type), Shown(used)));
                }
            }
        }

        return [.. uses];
    }

    /// <summary>The types <paramref name="type"/> uses: in its declaration, its members' signatures, its locals and its IL.</summary>
    public static HashSet<Type> ReferencesOf(Type type)
    {
        var found = new HashSet<Type>();
        Add(type.BaseType);
        foreach (Type implemented in type.GetInterfaces())
        {
            Add(implemented);
        }

        foreach (FieldInfo field in type.GetFields(Declared))
        {
            Add(field.FieldType);
        }

        foreach (PropertyInfo property in type.GetProperties(Declared))
        {
            Add(property.PropertyType);
        }

        foreach (EventInfo @event in type.GetEvents(Declared))
        {
            Add(@event.EventHandlerType);
        }

        foreach (MethodBase method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo withReturn)
            {
                Add(withReturn.ReturnType);
            }

            foreach (ParameterInfo parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            if (method.GetMethodBody() is not { } body)
            {
                continue;
            }

            foreach (LocalVariableInfo local in body.LocalVariables)
            {
                Add(local.LocalType);
            }

            foreach (int token in MemberTokens(body.GetILAsByteArray() ?? []))
            {
                Type[]? typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
                Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
                switch (type.Module.ResolveMember(token, typeArguments, methodArguments))
                {
                    case Type resolved:
                        Add(resolved);
                        break;
                    case MethodBase called:
                        Add(called.DeclaringType);
                        if (called.IsGenericMethod)
                        {
                            foreach (Type argument in called.GetGenericArguments())
                            {
                                Add(argument);
                            }
                        }

                        break;
                    case FieldInfo field:
                        Add(field.DeclaringType);
                        break;
                }
            }
        }

        return found;

        void Add(Type? used)
        {
            if (used is null)
            {
                return;
            }

            used = Element(used);
            if (used.IsGenericParameter || !found.Add(used))
            {
                return;
            }

            if (used.IsGenericType && !used.IsGenericTypeDefinition)
            {
                Add(used.GetGenericTypeDefinition());
                foreach (Type argument in used.GetGenericArguments())
                {
                    Add(argument);
                }
            }
        }
    }

    private static int IndexOf(IReadOnlyList<string> order, string layer)
    {
        for (int i = 0; i < order.Count; i++)
        {
            if (order[i] == layer)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The type an array, pointer or reference is of.</summary>
    private static Type Element(Type type)
    {
        while (type.HasElementType)
        {
            type = type.GetElementType()!;
        }

        return type;
    }

    /// <summary>A type by its layer and its outermost declaring type, so a lambda or a state machine is shown as its own type.</summary>
    private static string Shown(Type type)
    {
        type = Element(type);
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        string name = type.IsGenericType ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] : type.Name;
        return LayerOf(type) is { Length: > 0 } layer ? layer + "." + name : name;
    }

    /// <summary>The metadata tokens of the fields, methods and types an IL body names.</summary>
    private static IEnumerable<int> MemberTokens(byte[] il)
    {
        int offset = 0;
        while (offset < il.Length)
        {
            short value = il[offset] == 0xFE ? (short)(0xFE00 | il[++offset]) : il[offset];
            offset++;
            OpCode code = OpCodesByValue[value];
            switch (code.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, offset);
                    offset += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    offset += 1;
                    break;
                case OperandType.InlineVar:
                    offset += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    offset += 4 + (4 * BitConverter.ToInt32(il, offset));
                    break;
                default: // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    offset += 4;
                    break;
            }
        }
    }

    /// <summary>A type (shown as <c>Layer.Type</c>) that uses a type of a later layer.</summary>
    internal sealed record Use(string From, string To) : IComparable<Use>
    {
        public int CompareTo(Use? other) =>
            other is null ? 1 : StringComparer.Ordinal.Compare(ToString(), other.ToString());

        public override string ToString() => $"{From} → {To}";
    }
}
