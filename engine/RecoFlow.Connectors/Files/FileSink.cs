using System.Text;
using RecoFlow.Api.Connectors;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// Writes one line per record to a file (subtask 0 writes <c>path</c>; subtask i &gt; 0 writes <c>path.i</c>).
/// At-most-once across failures: for exactly-once output use the transactional file sink.
/// </summary>
public sealed class FileSink<T>(string path, Func<T, string> format, string formatName = "lines") : ISink<T>
{
    public ISinkWriter<T> CreateWriter(SinkContext context)
    {
        var file = context.SubtaskIndex == 0 ? path : $"{path}.{context.SubtaskIndex}";
        var dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is not null) Directory.CreateDirectory(dir);
        return new Writer(new StreamWriter(file, false, new UTF8Encoding(false), 1 << 16), format);
    }

    public string Describe() => $"{formatName} file {path}";

    /// <summary>JSON Lines with snake_case property names.</summary>
    public static FileSink<T> JsonLines(string path) =>
        new(path, v => System.Text.Json.JsonSerializer.Serialize(v, JsonDefaults.Options), "JSON Lines");

    private sealed class Writer(StreamWriter writer, Func<T, string> format) : ISinkWriter<T>
    {
        public void Write(T value, long timestamp) => writer.WriteLine(format(value));

        public void Flush(bool endOfInput) => writer.Flush();

        public void Dispose() => writer.Dispose();
    }
}
