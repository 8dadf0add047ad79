using System.Reflection;
using Akka.Configuration;

namespace RecoFlow.Runtime;

/// <summary>
/// Reads the text files the assemblies embed: their HOCON defaults (reference.conf, cluster.conf, http.conf, edge.conf)
/// and the pages the web layer and its modules serve.
/// </summary>
public static class EmbeddedResources
{
    /// <summary>The embedded resource <paramref name="logicalName"/> of <paramref name="assembly"/> as text; a missing one is a build error, reported by name.</summary>
    public static string ReadText(Assembly assembly, string logicalName)
    {
        using var stream = assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"{logicalName} is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded HOCON file <paramref name="logicalName"/> of <paramref name="assembly"/>, parsed.</summary>
    public static Config ReadConfig(Assembly assembly, string logicalName) => ConfigurationFactory.ParseString(ReadText(assembly, logicalName));
}
