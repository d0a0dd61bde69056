using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Firebreak.Browser.Tests.PostMortem;

/// <summary>
/// Just enough of PNG to check a rendered page: 8-bit greyscale, RGB or RGBA, not interlaced. Reads the
/// chunks, inflates the image data and undoes each row's filter.
/// </summary>
internal sealed class PngImage
{
    private readonly byte[] _pixels;
    private readonly int _channels;

    private PngImage(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        _channels = channels;
        _pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>0 (black) to 255 (white).</summary>
    public int Luminance(int x, int y)
    {
        var i = (y * Width + x) * _channels;
        return _channels < 3 ? _pixels[i] : (299 * _pixels[i] + 587 * _pixels[i + 1] + 114 * _pixels[i + 2]) / 1000;
    }

    public static PngImage Read(byte[] file)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], file[..8]);
        int width = 0, height = 0, channels = 0;
        var data = new MemoryStream();
        for (var at = 8; at < file.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = Encoding.ASCII.GetString(file, at + 4, 4);
            var body = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                Assert.Equal(8, body[8]);
                channels = body[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, var t => throw new InvalidDataException($"colour type {t}") };
                Assert.Equal(0, body[12]);
            }
            else if (type == "IDAT")
            {
                data.Write(body);
            }
            at += 12 + length;
        }
        data.Position = 0;
        var raw = new MemoryStream();
        using (var inflate = new ZLibStream(data, CompressionMode.Decompress)) inflate.CopyTo(raw);
        var bytes = raw.ToArray();
        var stride = width * channels;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = bytes[y * (stride + 1)];
            var source = bytes.AsSpan(y * (stride + 1) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            var above = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride).ToArray();
            for (var x = 0; x < stride; x++)
            {
                int a = x >= channels ? row[x - channels] : 0, b = above[x], c = x >= channels ? above[x - channels] : 0;
                var predicted = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                };
                row[x] = (byte)(source[x] + predicted);
            }
        }
        return new PngImage(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
