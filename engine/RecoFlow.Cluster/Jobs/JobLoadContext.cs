using System.IO.Compression;
using System.Reflection;
using System.Runtime.Loader;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// The collectible <see cref="AssemblyLoadContext"/> of one submitted job. A single assembly resolves nothing itself.
/// A package (a zip of a <c>dotnet publish</c> or <c>dotnet build</c> output folder) is extracted to a directory of
/// its own and its main assembly (named by the folder's <c>*.deps.json</c>) is loaded with an
/// <see cref="AssemblyDependencyResolver"/>, so the job's own NuGet and project dependencies load from the package.
/// Whatever the node has itself (the engine, its connectors and their dependencies, the framework) comes from the
/// node's default context in both cases, so the job's types and the engine's agree. Disposing unloads the context and
/// deletes the extracted files.
/// </summary>
internal sealed class JobLoadContext : AssemblyLoadContext, IDisposable
{
    private static readonly HashSet<string> NodeAssemblies = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(Path.GetFileNameWithoutExtension).OfType<string>()
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    private readonly AssemblyDependencyResolver? _resolver;
    private readonly string? _directory;

    private JobLoadContext(string name, string? mainAssemblyPath, string? directory) : base($"job:{name}", isCollectible: true)
    {
        _resolver = mainAssemblyPath is null ? null : new AssemblyDependencyResolver(mainAssemblyPath);
        _directory = directory;
    }

    /// <summary>True for the bytes of a zip file (a package) rather than of an assembly.</summary>
    public static bool IsPackage(byte[] bytes) => bytes is [(byte)'P', (byte)'K', 3, 4, ..];

    /// <summary>A context for a single assembly; load it with <see cref="AssemblyLoadContext.LoadFromStream(Stream)"/>.</summary>
    public static JobLoadContext ForAssembly(string jobClass) => new(jobClass, null, null);

    /// <summary>Extracts <paramref name="package"/> and loads its main assembly; throws <see cref="JobSubmissionException"/> naming what is wrong with it.</summary>
    public static (JobLoadContext Context, Assembly Main) ForPackage(string jobClass, byte[] package)
    {
        var directory = Directory.CreateTempSubdirectory("recoflow-job-").FullName;
        try
        {
            try
            {
                using var zip = new ZipArchive(new MemoryStream(package, writable: false), ZipArchiveMode.Read);
                zip.ExtractToDirectory(directory); // refuses entries that would land outside the directory
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new JobSubmissionException($"the submitted package is not a readable zip of a published folder: {e.Message}", e);
            }
            var main = Path.Combine(directory, MainAssembly(directory) + ".dll");
            if (!File.Exists(main)) throw new JobSubmissionException($"the submitted package has {Path.GetFileNameWithoutExtension(main)}.deps.json but no {Path.GetFileName(main)}");
            var context = new JobLoadContext(jobClass, main, directory);
            try { return (context, context.LoadFromAssemblyPath(main)); }
            catch (BadImageFormatException)
            {
                context.Dispose();
                throw new JobSubmissionException($"{Path.GetFileName(main)} in the submitted package is not a .NET assembly");
            }
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>
    /// The package's main assembly: the one whose <c>*.deps.json</c> lists every other <c>*.deps.json</c>'s assembly
    /// among its libraries (a <c>dotnet build -o</c> of a project copies its project references' files too).
    /// </summary>
    private static string MainAssembly(string directory)
    {
        var names = Directory.GetFiles(directory, "*.deps.json").Select(f => Path.GetFileName(f)[..^".deps.json".Length]).ToList();
        if (names.Count == 0)
            throw new JobSubmissionException("the submitted package has no *.deps.json at its top: submit the output folder of 'dotnet publish' (or 'dotnet build') of the job's project");
        if (names.Count == 1) return names[0];
        var tops = names.Where(n => Libraries(Path.Combine(directory, n + ".deps.json")) is { } libraries && names.All(other => libraries.Contains(other))).ToList();
        return tops.Count == 1 ? tops[0]
            : throw new JobSubmissionException($"the submitted package has several *.deps.json ({string.Join(", ", names)}) and none depends on all the others: submit the output folder of the job's project alone");
    }

    private static HashSet<string>? Libraries(string depsJson)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(depsJson));
            return doc.RootElement.TryGetProperty("libraries", out var libraries) && libraries.ValueKind == System.Text.Json.JsonValueKind.Object
                ? libraries.EnumerateObject().Select(l => l.Name.Split('/')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase)
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The node's own assemblies are shared (null: the default context loads them); the rest come from the package.
        if (_resolver is null || assemblyName.Name is null || NodeAssemblies.Contains(assemblyName.Name)) return null;
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver?.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    public void Dispose()
    {
        Unload();
        if (_directory is not null) TryDelete(_directory);
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
