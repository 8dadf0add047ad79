using Akka.Configuration;

namespace RecoFlow.Cli;

/// <summary>The HOCON file a command's <c>--config</c> names, parsed, or a usage error naming the file and the problem.</summary>
public static class HoconFiles
{
    /// <summary>The parsed file, or <see cref="Config.Empty"/> without a path.</summary>
    public static Config Read(string? path)
    {
        if (path is null) return Config.Empty;
        if (!File.Exists(path)) throw new UsageException($"--config: file not found: {path}");
        try { return ConfigurationFactory.ParseString(File.ReadAllText(path)); }
        catch (Exception e) { throw new UsageException($"--config {path}: {e.Message}"); }
    }
}
