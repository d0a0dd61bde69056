namespace Firebreak.Detection.Tests.Readers;

/// <summary>Gives its content at most <paramref name="piece"/> bytes a read, as a slow network or pipe does.</summary>
internal sealed class TrickleStream(byte[] content, int piece) : MemoryStream(content)
{
    public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(piece, buffer.Length)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        base.ReadAsync(buffer[..Math.Min(piece, buffer.Length)], cancellationToken);
}
