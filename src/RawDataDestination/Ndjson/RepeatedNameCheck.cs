using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RawDataDestination.Ndjson;

/// <summary>
/// The rule that an event gives each member name once in each of its objects, for the reader's pass (the one-pass scan
/// declines a repeated name and leaves it here). JSON only says names SHOULD be unique, but readers of the objects this
/// library writes refuse a whole file over one event that repeats one (DuckDB's <c>read_json</c>: "has duplicate key";
/// Amazon Athena's JSON SerDes "do not allow duplicate keys"), so such an event would make its batch's other events
/// unreadable.
/// </summary>
internal sealed class RepeatedNameCheck
{
    /// <summary>Per depth of the reader: the open container's names so far, or <see langword="null"/> for an array.</summary>
    private readonly List<HashSet<string>?> _names = [];

    /// <summary>Per depth: the name last read there, which leads to what is open below it.</summary>
    private readonly List<string> _lastName = [];

    /// <summary>Takes the reader's current token: a container's start, or a member name, which it refuses when its object already has it.</summary>
    /// <exception cref="EventRejectedException">The member name is the second of its name in its object.</exception>
    public void Read(ref Utf8JsonReader reader)
    {
        int depth = reader.CurrentDepth;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                SetLevel(depth + 1, reader.TokenType);
                break;
            case JsonTokenType.PropertyName:
                string name = reader.GetString()!;
                _lastName[depth] = name;
                if (!_names[depth]!.Add(name))
                {
                    throw new EventRejectedException(
                        EventRejectionReason.RepeatedName,
                        string.Create(CultureInfo.InvariantCulture, $"The event gives the name \"{name}\" twice in {Where(depth)} (the second at offset {reader.TokenStartIndex}). Readers such as DuckDB and Amazon Athena refuse a whole file that holds such an event, so it is not stored. Give each name once per object."));
                }

                break;
        }
    }

    private void SetLevel(int depth, JsonTokenType start)
    {
        while (_names.Count <= depth)
        {
            _names.Add(null);
            _lastName.Add(string.Empty);
        }

        if (start == JsonTokenType.StartArray)
        {
            _names[depth] = null;
        }
        else if (_names[depth] is { } names)
        {
            names.Clear();
        }
        else
        {
            _names[depth] = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>Names the object whose members are at <paramref name="depth"/>: "the event" at the top, else its path, such as <c>properties.items[]</c>.</summary>
    private string Where(int depth)
    {
        if (depth == 1)
        {
            return "the event";
        }

        var path = new StringBuilder();
        for (int level = 1; level < depth; level++)
        {
            if (_names[level] is null)
            {
                path.Append("[]"); // an array's element
            }
            else
            {
                path.Append(level == 1 ? string.Empty : ".").Append(_lastName[level]);
            }
        }

        return "the object " + path;
    }
}
