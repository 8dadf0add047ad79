using MessagePack;

namespace RecoFlow.Recommendations.Tests;

internal static class TestSupport
{
    /// <summary>Serialises a state DTO to MessagePack bytes and back.</summary>
    public static T RoundTrip<T>(T state)
    {
        byte[] bytes = MessagePackSerializer.Serialize(state);
        Assert.NotEmpty(bytes);
        return MessagePackSerializer.Deserialize<T>(bytes);
    }

    /// <summary>The repository's MovieLens latest-small folder (data/movielens-latest-small).</summary>
    public static string MovieLensDir() => RecoFlow.Testing.RepositoryData.MovieLensDir();
}
