using nietras.SeparatedValues;

namespace RecoFlow.Connectors.Files;

/// <summary>
/// The fields of one CSV record line under RFC 4180: a field in double quotes may hold commas and doubled quotes
/// (<c>"a ""b"", c"</c> is <c>a "b", c</c>). A line without a quote is split on its commas, which is exactly RFC 4180
/// for unquoted fields and allocates only the fields; a line with one is read by Sep. Records spanning several lines
/// (a line break inside quotes) are not supported by the line-based <see cref="CsvFileSource{T}"/>.
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
        if (reader.MoveNext()) throw new FormatException("a quoted field holds a line break, which a line-based CSV source cannot read");
        return fields;
    }
}
