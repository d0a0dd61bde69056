using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Sigma;

namespace Firebreak.Cli.Commands;

/// <summary>
/// The hits a hunt keeps for the outputs that need all of them before writing the first (the table and
/// json, which open with counts and list hits in time order, and sending to a server), without keeping
/// them in memory: a noisy rule over a large log finds hundreds of thousands of hits, and each held the
/// whole parsed record behind it. A hit is kept as the few fields those outputs show, in bytes; once a
/// run of them passes <see cref="RunBytes"/> it is sorted and written to a temporary file readable only by
/// its owner (on Unix, unlinked as soon as it is open, so it is gone even if the process is killed; elsewhere
/// deleted when closed), and reading merges the runs back in time order. A small hunt never touches the disk.
/// </summary>
/// <remarks>
/// <see cref="Prepare"/> may be called from any thread (the matching workers call it, so the work is
/// shared between cores); <see cref="Add"/>, <see cref="Read"/> and the counts from one thread at a time.
/// </remarks>
internal sealed class HuntHitSpool(bool keepRecords, int runBytes = HuntHitSpool.DefaultRunBytes, string? folder = null) : IDisposable
{
    public const int DefaultRunBytes = 16 * 1024 * 1024;

    private readonly ConcurrentDictionary<RuleIdentity, (int Index, KeptRule Rule)> ruleIndex = new();
    private readonly List<KeptRule> rules = [];
    private readonly Lock rulesGate = new();
    private readonly List<FileStream> runs = [];

    // The run being gathered: kept hits back to back in one buffer (so each one's own array dies young
    // instead of living on, and being promoted, until its run is written), and where each one is.
    private byte[] run = [];
    private int runLength;
    private readonly List<(int Offset, int Length)> entries = [];
    private bool sorted = true;
    private bool disposed;

    [ThreadStatic]
    private static (MemoryStream Stream, BinaryWriter Writer)? scratch;

    /// <summary>How many bytes of kept hits are sorted in memory before they go to a file.</summary>
    public int RunBytes { get; } = runBytes;

    public long Count { get; private set; }

    /// <summary>Runs written to disk so far (none for a hunt whose hits fit in one run).</summary>
    public int RunsOnDisk => runs.Count;

    /// <summary>The permissions of the run files (on Unix, where they have no name once created).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal IEnumerable<UnixFileMode> RunFileModes() => runs.Select(r => File.GetUnixFileMode(r.SafeFileHandle));

    /// <summary>Hits per rule, in the order rules were first met.</summary>
    public IReadOnlyList<(string RuleKey, string Title, string? Level, long Hits)> ByRule
    {
        get
        {
            lock (rulesGate) return [.. rules.Where(r => r.Hits > 0).Select(r => (r.Key, r.Title, r.Level, r.Hits))];
        }
    }

    /// <summary>
    /// A hit as it is kept, in bytes: first what it is sorted by (time, rule, event), then the rest. Safe
    /// to call from several threads at once; every prepared hit is expected to be added.
    /// </summary>
    public byte[] Prepare(HuntHit hit)
    {
        var (stream, writer) = scratch ??= NewScratch();
        stream.SetLength(0);
        var time = HuntCommand.HitTime(hit);
        writer.Write(time is not null);
        if (time is { } t) WriteTime(writer, t);
        writer.Write(hit.RuleKey);
        writer.Write(AlertSender.Reference(hit));
        var (index, rule) = RuleOf(hit);
        writer.Write(index);
        WriteFields(writer, hit.Fields);
        if (hit.Event is { } e)
        {
            writer.Write(true);
            WriteEvent(writer, e);
        }
        else
        {
            writer.Write(false);
        }

        if (hit.Correlation is { } c)
        {
            writer.Write(true);
            WriteTime(writer, c.FirstSeen);
            WriteTime(writer, c.LastSeen);
            writer.Write(c.Count);
            writer.Write(c.Value.HasValue);
            writer.Write(c.Value.GetValueOrDefault());
            WriteFields(writer, c.Group);
        }
        else
        {
            writer.Write(false);
        }

        writer.Flush();
        Interlocked.Increment(ref rule.Hits);
        return stream.ToArray();

        static (MemoryStream, BinaryWriter) NewScratch()
        {
            var stream = new MemoryStream(4096);
            return (stream, new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true));
        }
    }

    /// <summary>Keeps a prepared hit; a full run is sorted and written out.</summary>
    public void Add(byte[] entry)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (runLength > 0 && runLength + entry.Length > RunBytes)
        {
            Spill();
        }

        if (run.Length < runLength + entry.Length)
        {
            Array.Resize(ref run, Math.Max(runLength + entry.Length, Math.Min(RunBytes, Math.Max(64 * 1024, run.Length * 2))));
        }

        entry.CopyTo(run, runLength);
        entries.Add((runLength, entry.Length));
        runLength += entry.Length;
        sorted = false;
        Count++;
    }

    /// <summary>Every kept hit in time order (then by rule and event); each call reads them from the start.</summary>
    public IEnumerable<HuntHit> Read()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SortRun();
        if (runs.Count == 0)
        {
            foreach (var (offset, length) in entries)
            {
                yield return Restore(run.AsMemory(offset, length));
            }

            yield break;
        }

        var cursors = new List<IEnumerator<ReadOnlyMemory<byte>>>(runs.Count + 1);
        try
        {
            var queue = new PriorityQueue<IEnumerator<ReadOnlyMemory<byte>>, ReadOnlyMemory<byte>>(EntryOrder.Instance);
            foreach (var source in runs.Select(ReadRun).Append(entries.Select(e => (ReadOnlyMemory<byte>)run.AsMemory(e.Offset, e.Length))))
            {
                var cursor = source.GetEnumerator();
                cursors.Add(cursor);
                if (cursor.MoveNext())
                {
                    queue.Enqueue(cursor, cursor.Current);
                }
            }

            while (queue.TryDequeue(out var cursor, out var entry))
            {
                yield return Restore(entry);
                if (cursor.MoveNext())
                {
                    queue.Enqueue(cursor, cursor.Current);
                }
            }
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var file in runs)
        {
            file.Dispose();
        }

        runs.Clear();
        run = [];
        entries.Clear();
    }

    private void SortRun()
    {
        if (sorted) return;
        var buffer = run;
        entries.Sort((a, b) => EntryOrder.Instance.Compare(buffer.AsMemory(a.Offset, a.Length), buffer.AsMemory(b.Offset, b.Length)));
        sorted = true;
    }

    private void Spill()
    {
        SortRun();
        var path = Path.Combine(folder ?? Path.GetTempPath(), $"firebreak-hunt-{Guid.NewGuid():N}.hits");
        FileStream file;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                Options = FileOptions.SequentialScan | (OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None),
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            file = new FileStream(path, options);
            if (!OperatingSystem.IsWindows())
            {
                // The open handle keeps the file readable; without a name, nothing of the hits is left on
                // disk even if the process is killed before it can clean up.
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unkept(path, e);
        }

        runs.Add(file);
        try
        {
            // Not disposed: that would close the file, and closing deletes it.
            var buffered = new BufferedStream(file, 1 << 16);
            Span<byte> length = stackalloc byte[4];
            foreach (var (offset, count) in entries)
            {
                BinaryPrimitives.WriteInt32LittleEndian(length, count);
                buffered.Write(length);
                buffered.Write(run, offset, count);
            }

            buffered.Flush();
        }
        catch (IOException e)
        {
            throw Unkept(path, e);
        }

        entries.Clear();
        runLength = 0;
        sorted = true;
    }

    private static CliException Unkept(string path, Exception e) => new(ExitCodes.Usage,
        $"Cannot keep the hunt's hits in a temporary file ({Path.GetDirectoryName(path)}): {e.Message} " +
        "Point TMPDIR at a folder with room, or write hits as they are found with --output jsonl or --output csv.");

    private static IEnumerable<ReadOnlyMemory<byte>> ReadRun(FileStream file)
    {
        file.Position = 0;
        var buffered = new BufferedStream(file, 1 << 16); // not disposed: that would close, and so delete, the file
        var length = new byte[4];
        while (buffered.Position < file.Length)
        {
            buffered.ReadExactly(length);
            var entry = new byte[BinaryPrimitives.ReadInt32LittleEndian(length)];
            buffered.ReadExactly(entry);
            yield return entry;
        }
    }

    private (int Index, KeptRule Rule) RuleOf(HuntHit hit)
    {
        var identity = new RuleIdentity(hit.Kind, hit.RuleKey, hit.Title, hit.Level, hit.Tags);
        if (ruleIndex.TryGetValue(identity, out var known)) return known;
        lock (rulesGate)
        {
            if (ruleIndex.TryGetValue(identity, out known)) return known;
            var rule = new KeptRule(hit.Kind, hit.RuleKey, hit.Title, hit.Level, hit.Tags, hit.Correlation?.Correlation);
            rules.Add(rule);
            return ruleIndex[identity] = (rules.Count - 1, rule);
        }
    }

    private HuntHit Restore(ReadOnlyMemory<byte> entry)
    {
        if (!MemoryMarshal.TryGetArray(entry, out var segment)) segment = entry.ToArray();
        using var reader = new BinaryReader(new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false), Encoding.UTF8);
        if (reader.ReadBoolean()) ReadTime(reader);
        reader.ReadString();
        reader.ReadString();
        KeptRule rule;
        lock (rulesGate) rule = rules[reader.ReadInt32()];
        var fields = ReadFields(reader);
        var e = reader.ReadBoolean() ? ReadEvent(reader) : null;
        CorrelationHit? correlation = null;
        if (reader.ReadBoolean())
        {
            var first = ReadTime(reader);
            var last = ReadTime(reader);
            var count = reader.ReadInt64();
            var hasValue = reader.ReadBoolean();
            var value = reader.ReadDouble();
            correlation = new CorrelationHit(rule.Correlation!, ReadFields(reader), first, last, count, hasValue ? value : null);
        }

        return new HuntHit(rule.Kind, rule.Key, rule.Title, rule.Level, rule.Tags, e, fields, correlation);
    }

    private void WriteEvent(BinaryWriter w, CloudEvent e)
    {
        WriteTime(w, e.Time);
        Str(w, e.EventId);
        w.Write(e.LogSource.Product);
        w.Write(e.LogSource.Service);
        Str(w, e.LogSource.Category);
        w.Write(e.Provider);
        Str(w, e.Account);
        Str(w, e.Region);
        Str(w, e.Actor.Type);
        Str(w, e.Actor.Uid);
        Str(w, e.Actor.Arn);
        Str(w, e.Actor.Name);
        Str(w, e.Actor.AccessKeyId);
        Str(w, e.Actor.SessionIssuer);
        Str(w, e.Actor.AppUid);
        w.Write((byte)(e.Actor.MfaUsed switch { null => 0, false => 1, true => 2 }));
        Str(w, e.SourceIp);
        Str(w, e.UserAgent);
        Str(w, e.Service);
        w.Write(e.Operation);
        w.Write(e.Resources.Count);
        foreach (var resource in e.Resources)
        {
            Str(w, resource.Type);
            w.Write(resource.Uid);
            Str(w, resource.Name);
        }

        w.Write((byte)e.Outcome);
        Str(w, e.ErrorCode);
        Str(w, e.ErrorMessage);
        w.Write(e.Origin is not null);
        if (e.Origin is { } o)
        {
            w.Write(o.Source);
            w.Write(o.Line);
            w.Write(o.RecordIndex);
        }

        // The record itself only when the hunt sends it on; the outputs show the fields above.
        var raw = keepRecords && e.Raw.ValueKind != JsonValueKind.Undefined ? JsonMarshal.GetRawUtf8Value(e.Raw) : default;
        w.Write(raw.Length);
        w.Write(raw);
    }

    private static CloudEvent ReadEvent(BinaryReader r)
    {
        var time = ReadTime(r);
        var eventId = ReadStr(r);
        var logSource = new LogSource(r.ReadString(), r.ReadString(), ReadStr(r));
        var provider = r.ReadString();
        var account = ReadStr(r);
        var region = ReadStr(r);
        var actor = new EventActor
        {
            Type = ReadStr(r),
            Uid = ReadStr(r),
            Arn = ReadStr(r),
            Name = ReadStr(r),
            AccessKeyId = ReadStr(r),
            SessionIssuer = ReadStr(r),
            AppUid = ReadStr(r),
            MfaUsed = r.ReadByte() switch { 0 => null, 1 => false, _ => true },
        };
        var sourceIp = ReadStr(r);
        var userAgent = ReadStr(r);
        var service = ReadStr(r);
        var operation = r.ReadString();
        var resources = new EventResource[r.ReadInt32()];
        for (var i = 0; i < resources.Length; i++)
        {
            resources[i] = new EventResource(ReadStr(r), r.ReadString(), ReadStr(r));
        }

        var outcome = (EventOutcome)r.ReadByte();
        var errorCode = ReadStr(r);
        var errorMessage = ReadStr(r);
        var origin = r.ReadBoolean() ? new EventOrigin(r.ReadString(), r.ReadInt64(), r.ReadInt64()) : null;
        var raw = r.ReadBytes(r.ReadInt32());
        return new CloudEvent
        {
            Time = time,
            EventId = eventId,
            LogSource = logSource,
            Provider = provider,
            Account = account,
            Region = region,
            Actor = actor,
            SourceIp = sourceIp,
            UserAgent = userAgent,
            Service = service,
            Operation = operation,
            Resources = resources,
            Outcome = outcome,
            ErrorCode = errorCode,
            ErrorMessage = errorMessage,
            Origin = origin,
            Raw = raw.Length == 0 ? default : JsonElement.Parse(raw),
        };
    }

    private static void WriteFields(BinaryWriter w, IReadOnlyList<MatchedField> fields)
    {
        w.Write(fields.Count);
        foreach (var field in fields)
        {
            w.Write(field.Name);
            Str(w, field.Value);
        }
    }

    private static MatchedField[] ReadFields(BinaryReader r)
    {
        var fields = new MatchedField[r.ReadInt32()];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = new MatchedField(r.ReadString(), ReadStr(r));
        }

        return fields;
    }

    /// <summary>The instant (UTC ticks, which is what times sort by) and the offset it was written with.</summary>
    private static void WriteTime(BinaryWriter w, DateTimeOffset time)
    {
        w.Write(time.UtcTicks);
        w.Write((short)time.TotalOffsetMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        var utc = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        return new DateTimeOffset(utc + offset.Ticks, offset);
    }

    private static void Str(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null) w.Write(value);
    }

    private static string? ReadStr(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>
    /// The order hits are shown in: time (none first), then rule, then the event (each by its UTF-8
    /// bytes); the rest of the bytes decide between copies of one event, so the order is the same every run.
    /// </summary>
    private sealed class EntryOrder : IComparer<ReadOnlyMemory<byte>>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y)
        {
            var a = x.Span;
            var b = y.Span;
            var aTimed = a[0] != 0;
            var bTimed = b[0] != 0;
            if (aTimed != bTimed) return aTimed ? 1 : -1;
            int i = 1, j = 1;
            if (aTimed)
            {
                var byTime = BinaryPrimitives.ReadInt64LittleEndian(a[1..]).CompareTo(BinaryPrimitives.ReadInt64LittleEndian(b[1..]));
                if (byTime != 0) return byTime;
                i = j = 1 + 8 + 2;
            }

            for (var field = 0; field < 2; field++)
            {
                var left = NextString(a, ref i);
                var right = NextString(b, ref j);
                var order = left.SequenceCompareTo(right);
                if (order != 0) return order;
            }

            return a[i..].SequenceCompareTo(b[j..]);
        }

        /// <summary>A string as <see cref="BinaryWriter"/> writes it: its UTF-8 length in 7-bit groups, then the bytes.</summary>
        private static ReadOnlySpan<byte> NextString(ReadOnlySpan<byte> data, ref int at)
        {
            int length = 0, shift = 0;
            byte b;
            do
            {
                b = data[at++];
                length |= (b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);

            var text = data.Slice(at, length);
            at += length;
            return text;
        }
    }

    private readonly record struct RuleIdentity(HuntHitKind Kind, string Key, string Title, string? Level, IReadOnlyList<string> Tags);

    private sealed class KeptRule(HuntHitKind kind, string key, string title, string? level, IReadOnlyList<string> tags, SigmaCorrelation? correlation)
    {
        public HuntHitKind Kind { get; } = kind;

        public string Key { get; } = key;

        public string Title { get; } = title;

        public string? Level { get; } = level;

        public IReadOnlyList<string> Tags { get; } = tags;

        public SigmaCorrelation? Correlation { get; } = correlation;

        public long Hits;
    }
}
