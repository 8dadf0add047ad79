using System.Globalization;
using Microsoft.VisualBasic.FileIO;

namespace RecoFlow.Recommendations.Events;

/// <summary>
/// Loads an invoice-line log in the shape of the UCI "Online Retail" data sets (a header naming at least
/// <c>InvoiceNo</c> or <c>Invoice</c>, <c>StockCode</c>, <c>Quantity</c>, <c>InvoiceDate</c> and <c>CustomerID</c> or
/// <c>Customer ID</c>; fields may be quoted) as <see cref="InteractionType.Purchase"/> events in file order: the
/// customer is the user, the stock code the item, the invoice's time the event's time, so the lines of one invoice
/// form one basket (one timestamp). Lines that are not a purchase of a product by a known customer are skipped and
/// counted: no customer, a cancellation (invoice starting with <c>C</c>), a quantity of zero or less, a stock code
/// that does not start with a digit (postage, fees, manual adjustments). A line that cannot be read is an error
/// naming the line and the field.
/// </summary>
public static class OnlineRetailLoader
{
    private static readonly string[] DateFormats =
        ["dd-MM-yyyy HH:mm", "M/d/yyyy H:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "dd/MM/yyyy HH:mm"];

    /// <summary>The events and the number of lines skipped.</summary>
    public static (List<Interaction> Events, int Skipped) Load(string path)
    {
        using var parser = new TextFieldParser(path) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var header = parser.ReadFields() ?? throw new InvalidDataException($"{path}: empty file");
        int invoice = Column(header, path, "InvoiceNo", "Invoice"), stock = Column(header, path, "StockCode"),
            quantity = Column(header, path, "Quantity"), date = Column(header, path, "InvoiceDate"),
            customer = Column(header, path, "CustomerID", "Customer ID");
        var events = new List<Interaction>();
        int skipped = 0;
        while (!parser.EndOfData)
        {
            long lineNo = parser.LineNumber;
            string[] f;
            try
            {
                f = parser.ReadFields() ?? [];
            }
            catch (MalformedLineException ex)
            {
                throw new InvalidDataException($"{path}:{ex.LineNumber}: not a CSV line ({ex.Message})", ex);
            }
            if (f.Length == 0) continue;
            if (f.Length != header.Length) throw new InvalidDataException($"{path}:{lineNo}: expected {header.Length} fields, found {f.Length}");
            string user = f[customer].EndsWith(".0", StringComparison.Ordinal) ? f[customer][..^2] : f[customer];
            string item = f[stock].Trim();
            if (user.Length == 0 || f[invoice].StartsWith('C') || item.Length == 0 || !char.IsAsciiDigit(item[0]))
            {
                skipped++;
                continue;
            }
            if (!double.TryParse(f[quantity], NumberStyles.Float, CultureInfo.InvariantCulture, out double q))
                throw new InvalidDataException($"{path}:{lineNo}: Quantity '{f[quantity]}' is not a number");
            if (q <= 0)
            {
                skipped++;
                continue;
            }
            if (!DateTime.TryParseExact(f[date], DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                throw new InvalidDataException($"{path}:{lineNo}: InvoiceDate '{f[date]}' is not a date ({string.Join(", ", DateFormats)})");
            long ms = new DateTimeOffset(t, TimeSpan.Zero).ToUnixTimeMilliseconds();
            events.Add(new Interaction($"or-{f[invoice]}-{item}-{lineNo}", user, item, InteractionType.Purchase, null, ms, InteractionContext.Empty, Consent.Granted));
        }
        return (events, skipped);
    }

    private static int Column(string[] header, string path, params string[] names)
    {
        foreach (var name in names)
        {
            int i = Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return i;
        }
        throw new InvalidDataException($"{path}: no column {string.Join(" or ", names)} in the header");
    }
}
