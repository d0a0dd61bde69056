using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Firebreak.Detection.Readers;

/// <summary>
/// A quick check that a record is well-formed JSON, for the records a hunt skips unparsed. It accepts only
/// what the runtime's JSON reader accepts (one value, RFC 8259 grammar, no comments or trailing commas,
/// nesting up to a limit); anything it cannot vouch for is handed to that reader, which decides and words the
/// error. It does not check UTF-8: the caller does, once, for the whole record.
/// </summary>
internal static class JsonSyntax
{
    private enum Expect
    {
        Value,
        KeyOrClose,
        Key,
        Colon,
        CommaOrClose,
    }

    /// <summary>True only when <paramref name="json"/> is certainly one well-formed JSON value no deeper than <paramref name="maxDepth"/>.</summary>
    public static bool IsCertainlyValid(ReadOnlySpan<byte> json, int maxDepth)
    {
        // One bit per open container, set for an object; deeper records are left to the reader.
        if (maxDepth > 64)
        {
            return false;
        }

        ref var start = ref MemoryMarshal.GetReference(json);
        var length = json.Length;
        ulong objects = 0;
        var depth = 0;
        var expect = Expect.Value;
        var i = 0;
        while (true)
        {
            if (i >= length)
            {
                return depth == 0 && expect == Expect.CommaOrClose;
            }

            var c = Unsafe.Add(ref start, i);
            if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                i++;
                continue;
            }

            switch (expect)
            {
                case Expect.Value:
                case Expect.KeyOrClose when c != (byte)'"':
                    if (expect == Expect.KeyOrClose)
                    {
                        if (c != (byte)'}')
                        {
                            return false;
                        }

                        depth--;
                        objects >>= 1;
                        i++;
                        expect = Expect.CommaOrClose;
                        break;
                    }

                    switch (c)
                    {
                        case (byte)'"':
                            i = StringEnd(ref start, length, i + 1);
                            if (i < 0)
                            {
                                return false;
                            }

                            expect = Expect.CommaOrClose;
                            break;
                        case (byte)'{':
                            if (++depth > maxDepth)
                            {
                                return false;
                            }

                            objects = (objects << 1) | 1;
                            i++;
                            expect = Expect.KeyOrClose;
                            break;
                        case (byte)'[':
                            if (++depth > maxDepth)
                            {
                                return false;
                            }

                            objects <<= 1;
                            i++;

                            // An empty array closes at once; otherwise a value follows.
                            var next = SkipWhitespace(ref start, length, i);
                            if (next < length && Unsafe.Add(ref start, next) == (byte)']')
                            {
                                depth--;
                                objects >>= 1;
                                i = next + 1;
                                expect = Expect.CommaOrClose;
                            }

                            break;
                        default:
                            i = c switch
                            {
                                (byte)'t' => LiteralEnd(json, i, "true"u8),
                                (byte)'f' => LiteralEnd(json, i, "false"u8),
                                (byte)'n' => LiteralEnd(json, i, "null"u8),
                                _ => NumberEnd(ref start, length, i),
                            };
                            if (i < 0)
                            {
                                return false;
                            }

                            expect = Expect.CommaOrClose;
                            break;
                    }

                    break;
                case Expect.KeyOrClose:
                case Expect.Key:
                    if (c != (byte)'"')
                    {
                        return false;
                    }

                    i = StringEnd(ref start, length, i + 1);
                    if (i < 0)
                    {
                        return false;
                    }

                    expect = Expect.Colon;
                    break;
                case Expect.Colon:
                    if (c != (byte)':')
                    {
                        return false;
                    }

                    i++;
                    expect = Expect.Value;
                    break;
                default:
                    if (depth == 0)
                    {
                        return false;
                    }

                    var inObject = (objects & 1) != 0;
                    if (c == (byte)',')
                    {
                        i++;
                        expect = inObject ? Expect.Key : Expect.Value;
                        break;
                    }

                    if (c != (inObject ? (byte)'}' : (byte)']'))
                    {
                        return false;
                    }

                    depth--;
                    objects >>= 1;
                    i++;
                    break;
            }
        }
    }

    /// <summary>
    /// The position after the closing quote of the string whose contents start at <paramref name="i"/>, or -1 when
    /// it does not close or holds a raw control character or an invalid escape. The strings of a log are short,
    /// so 32 bytes are compared at a time with three constants.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StringEnd(ref byte start, int length, int i)
    {
        while (true)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                while (i + Vector256<byte>.Count <= length)
                {
                    var block = Vector256.LoadUnsafe(ref start, (nuint)i);
                    var special = Vector256.Equals(block, Vector256.Create((byte)'"'))
                        | Vector256.Equals(block, Vector256.Create((byte)'\\'))
                        | Vector256.LessThan(block, Vector256.Create((byte)0x20));
                    if (special != Vector256<byte>.Zero)
                    {
                        i += BitOperations.TrailingZeroCount(special.ExtractMostSignificantBits());
                        goto Special;
                    }

                    i += Vector256<byte>.Count;
                }
            }

            while (i < length && Unsafe.Add(ref start, i) is not ((byte)'"' or (byte)'\\' or < 0x20))
            {
                i++;
            }

            if (i >= length)
            {
                return -1;
            }

        Special:
            var c = Unsafe.Add(ref start, i);
            if (c == (byte)'"')
            {
                return i + 1;
            }

            if (c != (byte)'\\' || i + 1 >= length)
            {
                return -1;
            }

            switch (Unsafe.Add(ref start, i + 1))
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    if (i + 6 > length || !IsHex(Unsafe.Add(ref start, i + 2)) || !IsHex(Unsafe.Add(ref start, i + 3))
                        || !IsHex(Unsafe.Add(ref start, i + 4)) || !IsHex(Unsafe.Add(ref start, i + 5)))
                    {
                        return -1;
                    }

                    i += 6;
                    break;
                default:
                    return -1;
            }
        }
    }

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int LiteralEnd(ReadOnlySpan<byte> json, int i, ReadOnlySpan<byte> literal)
    {
        if (!json[i..].StartsWith(literal))
        {
            return -1;
        }

        i += literal.Length;
        return i == json.Length || IsDelimiter(json[i]) ? i : -1;
    }

    /// <summary>-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? followed by a delimiter or the end: its end, or -1.</summary>
    private static int NumberEnd(ref byte start, int length, int i)
    {
        if (Unsafe.Add(ref start, i) == (byte)'-')
        {
            i++;
        }

        if (i >= length || !char.IsAsciiDigit((char)Unsafe.Add(ref start, i)))
        {
            return -1;
        }

        if (Unsafe.Add(ref start, i) == (byte)'0')
        {
            i++;
        }
        else
        {
            i = DigitsEnd(ref start, length, i);
        }

        if (i < length && Unsafe.Add(ref start, i) == (byte)'.')
        {
            var fraction = DigitsEnd(ref start, length, i + 1);
            if (fraction == i + 1)
            {
                return -1;
            }

            i = fraction;
        }

        if (i < length && Unsafe.Add(ref start, i) is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < length && Unsafe.Add(ref start, i) is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var exponent = DigitsEnd(ref start, length, i);
            if (exponent == i)
            {
                return -1;
            }

            i = exponent;
        }

        return i == length || IsDelimiter(Unsafe.Add(ref start, i)) ? i : -1;
    }

    private static int DigitsEnd(ref byte start, int length, int i)
    {
        while (i < length && char.IsAsciiDigit((char)Unsafe.Add(ref start, i)))
        {
            i++;
        }

        return i;
    }

    private static bool IsDelimiter(byte c) => c is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    private static int SkipWhitespace(ref byte start, int length, int i)
    {
        while (i < length && Unsafe.Add(ref start, i) is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }
}
