using nietras.SeparatedValues;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// The fields of one CSV record line under RFC 4180: a field in double quotes may hold commas and doubled quotes
/// (<c>"a ""b"", c"</c> is <c>a "b", c</c>). A line without a quote is split on its commas, which is exactly RFC 4180
/// for unquoted fields and allocates only the fields; a line with one is read by Sep. A record may hold line breaks
/// inside quotes: <see cref="CsvFileSource{T}"/> joins its lines while <see cref="IsOpen"/> says a quoted field is open.
/// </summary>
public static class CsvFields
{
    private static readonly Sep Comma = Sep.New(',');

    public static string[] Split(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.Contains('"', StringComparison.Ordinal)) return line.Split(',');
        using var reader = Comma.Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).FromText(line);
        if (!reader.MoveNext()) return [""];
        var row = reader.Current;
        var fields = new string[row.ColCount];
        for (var i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
        if (reader.MoveNext()) throw new FormatException("the text holds more than one CSV record");
        return fields;
    }

    /// <summary>True when <paramref name="text"/> ends inside a quoted field (an odd number of quotes: RFC 4180 doubles the quotes inside a quoted field), so the next line continues the record.</summary>
    public static bool IsOpen(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int quotes = 0;
        foreach (var c in text.AsSpan()) if (c == '"') quotes++;
        return (quotes & 1) == 1;
    }
}
