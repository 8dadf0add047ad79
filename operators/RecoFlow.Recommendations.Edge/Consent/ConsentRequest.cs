using System.Text.Json;
using System.Text.Unicode;

namespace RecoFlow.Recommendations.Edge.Consent;

/// <summary>
/// The body of POST /consent, validated strictly: UTF-8 JSON, an object nested at most <see cref="MaxDepth"/> deep with
/// the fields <c>user_id</c> (a non-empty string), <c>personalization</c> (a boolean) and optionally
/// <c>user_token</c> (a string: the user's proof, see <c>UserTokens</c>); any other field is refused. <see cref="Parse"/> never throws on its input: it returns the request or the error to answer.
/// </summary>
public sealed record ConsentRequest(string UserId, bool Personalization, string? UserToken = null)
{
    public const int MaxDepth = 4;

    /// <summary>The request, or (null, the reason it is refused).</summary>
    public static (ConsentRequest? Request, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body)) return (null, "body is not valid UTF-8");
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "body must be a JSON object");
            string? user = null;
            bool? personalization = null;
            string? token = null;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "user_id" when user is not null:
                        return (null, "duplicate field 'user_id'");
                    case "user_id":
                        if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                            return (null, "user_id (a non-empty string) is required");
                        user = p.Value.GetString();
                        break;
                    case "personalization" when personalization is not null:
                        return (null, "duplicate field 'personalization'");
                    case "personalization":
                        if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                            return (null, "personalization (true or false) is required");
                        personalization = p.Value.GetBoolean();
                        break;
                    case "user_token" when token is not null:
                        return (null, "duplicate field 'user_token'");
                    case "user_token":
                        if (p.Value.ValueKind != JsonValueKind.String) return (null, "user_token must be a string");
                        token = p.Value.GetString();
                        break;
                    default:
                        return (null, $"unknown field '{p.Name}': the body has user_id, personalization and user_token only");
                }
            }
            if (user is null) return (null, "user_id (a non-empty string) is required");
            if (personalization is null) return (null, "personalization (true or false) is required");
            return (new ConsentRequest(user, personalization.Value, token), null);
        }
        catch (JsonException e)
        {
            return (null, $"body is not JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // Valid UTF-8 whose strings do not unescape to valid text (an escaped lone surrogate).
            return (null, $"body is not valid JSON text: {e.Message}");
        }
    }
}
