using RecoFlow.Recommendations.Events;

namespace RecoFlow.Recommendations.Tests;

public class EventsTests
{
    private readonly InteractionParser _parser = new();

    [Fact]
    public void ParsesCompleteEvent()
    {
        const string json = """
        {"event_id":"e1","user_id":"u1","item_id":42,"type":"rating","value":4.5,"ts":"2024-03-10T12:30:00+01:00",
         "context":{"timezone":"Europe/Paris","country":"FR","region":"IDF","lat":48.85,"lon":2.35,"ip":"203.0.113.7",
                    "device_type":"mobile","os":"ios","browser":"safari","user_agent":"Mozilla/5.0 (iPhone)"},
         "consent":{"personalization":true}}
        """;
        InteractionParseResult r = _parser.Parse(json);
        Assert.True(r.IsSuccess, r.Error?.ToString());
        Interaction e = r.Event!;
        Assert.Equal("42", e.ItemId);
        Assert.Equal(InteractionType.Rating, e.Type);
        Assert.Equal(4.5, e.Value);
        Assert.Equal(new DateTimeOffset(2024, 3, 10, 11, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), e.TimestampMs);
        Assert.Equal(48.85, e.Context.Lat);
        Assert.Equal("Europe/Paris", e.Context.Timezone);
        Assert.True(e.Consent.Personalization);
        Assert.True(e.IsPositive);
    }

    [Fact]
    public void ParsesMinimalEventWithEpochMillis()
    {
        InteractionParseResult r = _parser.Parse("""{"event_id":"e","user_id":"u","item_id":"i","type":"add_to_cart","ts":1700000000123}""");
        Assert.True(r.IsSuccess, r.Error?.ToString());
        Assert.Equal(1700000000123, r.Event!.TimestampMs);
        Assert.Null(r.Event.Value);
        Assert.False(r.Event.Consent.Personalization);
        Assert.True(r.Event.IsPositive);
    }

    [Theory]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view" """, ParseErrorKind.MalformedJson, "$")]
    [InlineData("""[1,2]""", ParseErrorKind.MalformedJson, "$")]
    [InlineData("""{"event_id":"e","event_id":"f","user_id":"u","item_id":"i","type":"view","ts":1}""", ParseErrorKind.MalformedJson, "event_id")]
    [InlineData("""{"user_id":"u","item_id":"i","type":"view","ts":1}""", ParseErrorKind.MissingField, "event_id")]
    [InlineData("""{"event_id":"e","item_id":"i","type":"view","ts":1}""", ParseErrorKind.MissingField, "user_id")]
    [InlineData("""{"event_id":"e","user_id":"u","type":"view","ts":1}""", ParseErrorKind.MissingField, "item_id")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","ts":1}""", ParseErrorKind.MissingField, "type")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view"}""", ParseErrorKind.MissingField, "ts")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"rating","ts":1}""", ParseErrorKind.MissingField, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"consent":{}}""", ParseErrorKind.MissingField, "consent.personalization")]
    [InlineData("""{"event_id":"e","user_id":true,"item_id":"i","type":"view","ts":1}""", ParseErrorKind.WrongType, "user_id")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":7,"ts":1}""", ParseErrorKind.WrongType, "type")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"dwell","value":"12","ts":1}""", ParseErrorKind.WrongType, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"context":{"lat":"48"}}""", ParseErrorKind.WrongType, "context.lat")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"context":"fr"}""", ParseErrorKind.WrongType, "context")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"consent":{"personalization":"yes"}}""", ParseErrorKind.WrongType, "consent.personalization")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"share","ts":1}""", ParseErrorKind.UnknownType, "type")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"rating","value":5.5,"ts":1}""", ParseErrorKind.ValueOutOfRange, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"rating","value":0,"ts":1}""", ParseErrorKind.ValueOutOfRange, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"scroll","value":1.2,"ts":1}""", ParseErrorKind.ValueOutOfRange, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"dwell","value":-3,"ts":1}""", ParseErrorKind.ValueOutOfRange, "value")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"context":{"lon":181}}""", ParseErrorKind.ValueOutOfRange, "context.lon")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":"yesterday"}""", ParseErrorKind.BadTimestamp, "ts")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":"2024-03-10T12:30:00"}""", ParseErrorKind.BadTimestamp, "ts")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":-5}""", ParseErrorKind.BadTimestamp, "ts")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1.5}""", ParseErrorKind.BadTimestamp, "ts")]
    [InlineData("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"extra":1}""", ParseErrorKind.UnknownField, "extra")]
    public void RejectsMalformedEventWithPreciseReason(string json, ParseErrorKind kind, string field)
    {
        InteractionParseResult r = _parser.Parse(json);
        Assert.False(r.IsSuccess);
        Assert.Equal(kind, r.Error!.Kind);
        Assert.Equal(field, r.Error.Field);
    }

    [Fact]
    public void UnknownFieldsCanBeAllowed()
    {
        var lenient = new InteractionParser(allowUnknownFields: true);
        Assert.True(lenient.Parse("""{"event_id":"e","user_id":"u","item_id":"i","type":"view","ts":1,"extra":1,"context":{"x":2}}""").IsSuccess);
    }

    [Fact]
    public void MovieLensLoaderReadsCatalogueAndRatings()
    {
        string dir = TestSupport.MovieLensDir();
        ItemCatalog catalog = MovieLensLoader.LoadMovies(Path.Combine(dir, "movies.csv"));
        List<Interaction> ratings = MovieLensLoader.LoadRatings(Path.Combine(dir, "ratings.csv"));
        Assert.Equal(100_004, ratings.Count);
        Assert.Equal(9_125, catalog.Count);
        Assert.True(catalog.TryGet("1", out CatalogItem? toyStory));
        Assert.Equal("Toy Story (1995)", toyStory!.Title);
        Assert.Equal(["Adventure", "Animation", "Children", "Comedy", "Fantasy"], toyStory.Categories);
        Assert.Equal(5, catalog.CategoryIds("1").Length);
        Assert.All(ratings, r => Assert.InRange(r.Value!.Value, 0.5, 5.0));
        Assert.Equal(1260759144000, ratings[0].TimestampMs);
    }
}
