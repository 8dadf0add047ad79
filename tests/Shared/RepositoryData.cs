namespace RecoFlow.Testing;

/// <summary>
/// Finds the data sets kept in the repository's <c>data/</c> folder (see <c>data/README.md</c>) by walking up from the
/// running assembly to the folder that holds <c>RecoFlow.sln</c>. Linked into the test and bench projects that read data,
/// so a clone anywhere finds its data and nothing outside the repository is read.
/// </summary>
internal static class RepositoryData
{
    /// <summary>The repository root: the nearest folder above the running assembly that holds <c>RecoFlow.sln</c>.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RecoFlow.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("RecoFlow.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary><c>data/movielens-latest-small</c>: ratings.csv, movies.csv and the data set's licence.</summary>
    public static string MovieLensDir()
    {
        string path = Path.Combine(Root(), "data", "movielens-latest-small");
        if (!File.Exists(Path.Combine(path, "ratings.csv"))) throw new DirectoryNotFoundException("MovieLens data not found at " + path);
        return path;
    }

    /// <summary><c>data/online-retail-sample/online_retail_sample.csv</c>: 10,000 invoice lines of UCI Online Retail (CC BY 4.0).</summary>
    public static string OnlineRetailSample()
    {
        string path = Path.Combine(Root(), "data", "online-retail-sample", "online_retail_sample.csv");
        if (!File.Exists(path)) throw new FileNotFoundException("Online Retail sample not found at " + path, path);
        return path;
    }

    /// <summary>The IP location database <c>build.ps1 geo</c> (and <c>build.ps1 test</c>) installs under <c>artifacts/geo</c>.</summary>
    public static string GeoDatabase()
    {
        string path = Path.Combine(Root(), "artifacts", "geo", "geo-whois-asn-country.mmdb");
        if (!File.Exists(path)) throw new FileNotFoundException($"IP location database not found at {path}: install it with 'dotnet pwsh -NoProfile ./build.ps1 geo'", path);
        return path;
    }
}
