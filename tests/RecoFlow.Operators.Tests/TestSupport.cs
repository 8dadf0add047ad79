using MessagePack;

namespace RecoFlow.Operators.Tests;

internal static class TestSupport
{
    /// <summary>Serialises a state DTO to MessagePack bytes and back.</summary>
    public static T RoundTrip<T>(T state)
    {
        byte[] bytes = MessagePackSerializer.Serialize(state);
        Assert.NotEmpty(bytes);
        return MessagePackSerializer.Deserialize<T>(bytes);
    }

    /// <summary>
    /// ../shared/data/movielens-latest-small relative to the repository root (the folder holding RecoFlow.sln),
    /// found by walking up from the test assembly directory.
    /// </summary>
    public static string MovieLensDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RecoFlow.sln"))) dir = dir.Parent;
        Assert.True(dir is not null, "RecoFlow.sln not found above " + AppContext.BaseDirectory);
        string path = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "data", "movielens-latest-small"));
        Assert.True(Directory.Exists(path), "MovieLens data not found at " + path);
        return path;
    }
}
