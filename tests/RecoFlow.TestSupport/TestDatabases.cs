using Npgsql;

namespace RecoFlow.TestSupport;

/// <summary>
/// Real databases for tests. PostgreSQL comes from <c>RECOFLOW_TEST_PG</c>, which the README's test command sets after
/// starting a throwaway server; each call makes a fresh database so tests never share tables.
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "RECOFLOW_TEST_PG";

    /// <summary>A connection string to a new, empty PostgreSQL database.</summary>
    public static async Task<string> NewPostgresDatabaseAsync()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrEmpty(admin))
            throw new InvalidOperationException($"{PostgresVariable} is not set: run the tests with the README's test command (it starts PostgreSQL), or point {PostgresVariable} at a server");
        var name = $"rf_{Guid.NewGuid():N}"[..20];
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {name}";
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }
}

/// <summary>Finds files of the repository from a test's output directory.</summary>
public static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "RecoFlow.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("RecoFlow.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
