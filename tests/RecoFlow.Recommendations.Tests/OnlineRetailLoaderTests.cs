using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Tests;

public sealed class OnlineRetailLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recoflow-online-retail").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "log.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Invoice_lines_become_purchases_of_the_customer_one_basket_per_invoice_time()
    {
        var path = Write("""
            InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
            536365,85123A,"WHITE HANGING HEART T-LIGHT HOLDER, LARGE",6,01-12-2010 08:26,2.55,17850.0,United Kingdom
            536365,71053,WHITE METAL LANTERN,6,01-12-2010 08:26,3.39,17850.0,United Kingdom
            C536379,22556,"PLASTERS IN TIN ""CIRCUS"" PARADE",-1,01-12-2010 09:41,1.65,14527.0,United Kingdom
            536380,POST,POSTAGE,1,01-12-2010 09:41,18.0,12583.0,France
            536381,22139,RETROSPOT TEA SET,2,01-12-2010 09:41,4.95,,United Kingdom
            536382,22139,RETROSPOT TEA SET,0,01-12-2010 09:41,4.95,12583.0,France
            536383,22139,RETROSPOT TEA SET,1,01-12-2010 09:45,4.95,12583,France
            """);

        var (events, skipped) = OnlineRetailLoader.Load(path);

        Assert.Equal(4, skipped); // a cancellation, postage, no customer, a quantity of 0
        Assert.Equal(["17850/85123A", "17850/71053", "12583/22139"], events.Select(e => $"{e.UserId}/{e.ItemId}"));
        Assert.All(events, e => Assert.Equal(InteractionType.Purchase, e.Type));
        Assert.All(events, e => Assert.True(e.IsPositive));
        Assert.Equal(new DateTimeOffset(2010, 12, 1, 8, 26, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), events[0].TimestampMs);
        Assert.Equal(events[0].TimestampMs, events[1].TimestampMs);
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public void Reads_the_second_data_sets_header_and_its_date_format()
    {
        var path = Write("""
            Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
            489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom
            """);

        var (events, skipped) = OnlineRetailLoader.Load(path);

        Assert.Equal(0, skipped);
        var e = Assert.Single(events);
        Assert.Equal(("13085", "85048"), (e.UserId, e.ItemId));
        Assert.Equal(new DateTimeOffset(2009, 12, 1, 7, 45, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), e.TimestampMs);
    }

    [Theory]
    [InlineData("InvoiceNo,StockCode,Quantity,InvoiceDate\n1,2,3,01-12-2010 08:26\n", "no column CustomerID or Customer ID")]
    [InlineData("InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n1,22139,x,01-12-2010 08:26,5\n", ":2: Quantity 'x' is not a number")]
    [InlineData("InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n1,22139,1,yesterday,5\n", ":2: InvoiceDate 'yesterday' is not a date")]
    [InlineData("InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n1,22139,1\n", ":2: expected 5 fields, found 3")]
    public void A_line_it_cannot_read_is_an_error_naming_the_line_and_the_field(string text, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => OnlineRetailLoader.Load(Write(text)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
