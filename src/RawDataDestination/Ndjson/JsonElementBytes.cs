using System.Text;
using System.Buffers;
using System.Text.Json;
#if NET9_0_OR_GREATER
using System.Runtime.InteropServices;
#endif

namespace RawDataDestination.Ndjson;

/// <summary>The UTF-8 bytes of a <see cref="JsonElement"/> as they were parsed, borrowed or pooled.</summary>
internal readonly struct JsonElementBytes : IDisposable
{
    private readonly byte[]? _rented;

    private JsonElementBytes(ReadOnlyMemory<byte> memory, byte[]? rented)
    {
        Memory = memory;
        _rented = rented;
    }

    /// <summary>Gets the element's bytes.</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Gets the bytes of <paramref name="element"/>: its original text, so escapes and number forms are kept.</summary>
    public static JsonElementBytes Get(JsonElement element)
    {
#if NET9_0_OR_GREATER
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(element);
        byte[] rented = ArrayPool<byte>.Shared.Rent(raw.Length);
        raw.CopyTo(rented);
        return new JsonElementBytes(rented.AsMemory(0, raw.Length), rented);
#else
        string raw = element.GetRawText();
        byte[] rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(raw.Length));
        int length = Encoding.UTF8.GetBytes(raw, rented);
        return new JsonElementBytes(rented.AsMemory(0, length), rented);
#endif
    }

    /// <summary>Returns the pooled buffer.</summary>
    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}
