using System.Text;
using CsCheck;
using RecoFlow.Recommendations.Events;

namespace RecoFlow.Tests.Recommendations;

/// <summary>
/// Property-based tests (CsCheck) of the event parser that /collect and the job's validation step use: whatever the
/// input (random bytes, random JSON-like text, mutations and truncations of a valid event, random strings), it returns
/// a result that is either an event or an <see cref="InteractionParseError"/>, and never throws.
/// </summary>
public sealed class InteractionParserPropertyTests
{
    private const string Valid = """{"event_id":"e-1","user_id":"alice","item_id":"item-7","type":"rating","value":4.5,"ts":"2024-05-01T12:00:00+02:00","context":{"timezone":"Europe/Berlin","country":"DE","lat":52.5,"lon":13.4,"ip":"203.0.113.9","user_agent":"Mozilla/5.0"},"consent":{"personalization":true}}""";
    private static readonly byte[] ValidBytes = Encoding.UTF8.GetBytes(Valid);

    private static readonly InteractionParser Strict = new();
    private static readonly InteractionParser Lenient = new(allowUnknownFields: true);

    /// <summary>Either an event or an error, never both, never neither.</summary>
    private static void AssertWellFormed(InteractionParseResult r)
    {
        Assert.True(r.Event is not null ^ r.Error is not null, $"event {r.Event}, error {r.Error}");
        if (r.Error is { } e) Assert.False(string.IsNullOrEmpty(e.Message));
    }

    private static void ParseBoth(byte[] bytes)
    {
        AssertWellFormed(Strict.Parse(bytes));
        AssertWellFormed(Lenient.Parse(bytes));
    }

    /// <summary>Pieces of JSON (and of almost-JSON) around the schema's fields, glued at random.</summary>
    private static readonly Gen<string> Fragment = Gen.OneOf(
        "{", "}", "[", "]", ":", ",", "\"", "\\", " ", "\n",
        "\"event_id\"", "\"user_id\"", "\"item_id\"", "\"type\"", "\"value\"", "\"ts\"", "\"context\"", "\"consent\"", "\"personalization\"",
        "\"lat\"", "\"lon\"", "\"timezone\"", "\"unknown\"", "\"rating\"", "\"dwell\"", "\"scroll\"", "\"click\"", "\"x\"", "\"\"",
        "0", "-1", "4.5", "1e999", "-0", "9223372036854775808", "1700000000000", "true", "false", "null",
        "\"2024-05-01T12:00:00Z\"", "\"2024-05-01T12:00:00+99:99\"", "\"0000-00-00T00:00:00Z\"", "\"\\uD800\"", "\"\\u0000\"", "\"\\uDFFF\\uD800\"",
        "\"\u00e9\"", "\"\ud83d\ude00\"", "/*", "*/", "NaN", "Infinity");

    private static readonly Gen<byte[]> JsonLike = Fragment.Array[0, 60].Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts)));

    [Fact]
    public void Random_bytes_never_throw() => Gen.Byte.Array[0, 512].Sample(ParseBoth, iter: 5_000);

    [Fact]
    public void Random_json_like_text_never_throws() => JsonLike.Sample(ParseBoth, iter: 20_000);

    [Fact]
    public void Truncations_of_a_valid_event_never_throw() =>
        Gen.Int[0, ValidBytes.Length].Sample(n => ParseBoth(ValidBytes[..n]), iter: 2_000);

    [Fact]
    public void Byte_mutations_of_a_valid_event_never_throw() =>
        Gen.Select(Gen.Int[0, ValidBytes.Length - 1].Array[1, 6], Gen.Byte.Array[6]).Sample((positions, values) =>
        {
            var bytes = (byte[])ValidBytes.Clone();
            for (var i = 0; i < positions.Length; i++) bytes[positions[i]] = values[i];
            ParseBoth(bytes);
        }, iter: 20_000);

    [Fact]
    public void Fragments_spliced_into_a_valid_event_never_throw() =>
        Gen.Select(Gen.Int[0, Valid.Length], Gen.Int[0, 20], Fragment.Array[1, 4]).Sample((at, cut, parts) =>
        {
            var text = Valid[..at] + string.Concat(parts) + Valid[Math.Min(Valid.Length, at + cut)..];
            ParseBoth(Encoding.UTF8.GetBytes(text));
            AssertWellFormed(Strict.Parse(text));
        }, iter: 20_000);

    [Fact]
    public void Random_strings_with_lone_surrogates_never_throw() =>
        Gen.Char.Array[0, 200].Sample(chars =>
        {
            var text = new string(chars);
            AssertWellFormed(Strict.Parse(text));
            AssertWellFormed(Strict.Parse("{\"event_id\":\"" + text + "\",\"user_id\":\"u\",\"item_id\":\"i\",\"type\":\"click\",\"ts\":1}"));
        }, iter: 5_000);

    [Fact]
    public void Deep_nesting_huge_events_and_bad_utf8_are_errors_of_their_kind()
    {
        var deep = Strict.Parse(new string('[', 10_000) + new string(']', 10_000));
        Assert.Equal(ParseErrorKind.MalformedJson, deep.Error!.Kind);
        Assert.Contains("depth", deep.Error.Message, StringComparison.Ordinal);

        var deepContext = Strict.Parse(Valid.Replace("\"country\":\"DE\"", "\"country\":" + new string('[', 10_000) + new string(']', 10_000), StringComparison.Ordinal));
        Assert.Equal(ParseErrorKind.MalformedJson, deepContext.Error!.Kind);

        var huge = Strict.Parse(Valid.Replace("alice", new string('a', 10 << 20), StringComparison.Ordinal));
        Assert.Equal(ParseErrorKind.TooLarge, huge.Error!.Kind);

        var bytes = (byte[])ValidBytes.Clone();
        var at = Valid.IndexOf("alice", StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        var utf8 = Strict.Parse(bytes);
        Assert.Equal(ParseErrorKind.MalformedJson, utf8.Error!.Kind);
        Assert.Contains("UTF-8", utf8.Error.Message, StringComparison.Ordinal);

        var surrogate = Strict.Parse(Valid.Replace("alice", "\\uD800", StringComparison.Ordinal));
        Assert.Equal(ParseErrorKind.MalformedJson, surrogate.Error!.Kind);

        Assert.True(Strict.Parse(ValidBytes).IsSuccess);
    }
}
