using System.Text;
using System.Text.Unicode;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// Reads UTF-8 text line by line from a stream (lines end with \n or \r\n; a UTF-8 byte order mark at the start is
/// skipped) and says, per line, when it cannot be used: bytes that are not UTF-8, or more than
/// <see cref="MaxLineBytes"/> bytes (the rest of such a line is skipped, never buffered). A line is decoded from the
/// read buffer without copying when it fits in it.
/// </summary>
public sealed class Utf8LineReader : IDisposable
{
    /// <summary>How much of an unusable line is kept as its text for the dead letters.</summary>
    public const int ShownPrefixBytes = 1024;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _atStart = true;
    private string? _shown;

    public Utf8LineReader(Stream stream, int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _stream = stream;
        MaxLineBytes = maxLineBytes;
    }

    public int MaxLineBytes { get; }

    /// <summary>
    /// The next line in <paramref name="text"/>; false at the end of the stream. <paramref name="error"/> is null for
    /// a usable line, else why it is not; <paramref name="text"/> is then the start of the line with invalid bytes
    /// replaced (U+FFFD), for a report.
    /// </summary>
    public bool ReadLine(out string text, out string? error)
    {
        error = null;
        var discarded = 0L;
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0 || (_eof && _end > _start))
            {
                var length = newline >= 0 ? newline : _end - _start;
                var line = _buffer.AsSpan(_start, length);
                _start += newline >= 0 ? length + 1 : length;
                if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
                if (discarded > 0 || line.Length > MaxLineBytes)
                {
                    error = $"line of {discarded + line.Length} bytes is longer than {MaxLineBytes}";
                    text = discarded > 0 ? _shown! : Encoding.UTF8.GetString(line[..Math.Min(line.Length, ShownPrefixBytes)]);
                    _shown = null;
                    return true;
                }
                if (!Utf8.IsValid(line))
                {
                    error = $"line is not valid UTF-8 (invalid bytes at offset {FirstInvalid(line)})";
                    text = Encoding.UTF8.GetString(line[..Math.Min(line.Length, ShownPrefixBytes)]);
                    return true;
                }
                text = Encoding.UTF8.GetString(line);
                return true;
            }
            if (_eof)
            {
                text = "";
                return false;
            }
            // No newline in what is buffered: make room, grow the buffer up to the line limit, or drop what a too long line has so far.
            if (_end - _start > MaxLineBytes)
            {
                _shown ??= Encoding.UTF8.GetString(_buffer, _start, Math.Min(_end - _start, ShownPrefixBytes));
                discarded += _end - _start;
                _start = _end = 0;
            }
            else if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, Math.Max(MaxLineBytes + 2L, _buffer.Length + 1L)));
            var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true;
            _end += n;
            if (_atStart && (_end >= 3 || _eof))
            {
                _atStart = false;
                if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8)) _start = 3;
            }
        }
    }

    private static int FirstInvalid(ReadOnlySpan<byte> line)
    {
        var offset = 0;
        while (offset < line.Length)
        {
            if (System.Buffers.OperationStatus.Done != Rune.DecodeFromUtf8(line[offset..], out _, out var consumed)) return offset;
            offset += consumed;
        }
        return offset;
    }

    public void Dispose() => _stream.Dispose();
}
