using System.Reflection;
using System.Runtime.InteropServices;

namespace RecoFlow.Connectors.Kafka;

/// <summary>
/// Loads the native librdkafka build that works on this machine and makes both Confluent.Kafka and
/// RecoFlow's own P/Invokes (the dev broker) use it.
/// </summary>
/// <remarks>
/// <para>On Linux x64 the <c>librdkafka.redist</c> package ships three builds. The generic
/// <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, which Debian 12 does not have; the
/// <c>centos8-librdkafka.so</c> build links everything but glibc statically, so it is preferred.</para>
/// <para>Search order: the <c>RECOFLOW_LIBRDKAFKA</c> environment variable (a full file path);
/// <c>runtimes/&lt;rid&gt;/native/</c> under the application base directory and under the directory of
/// this assembly (the layout of <c>dotnet build</c>, <c>dotnet test</c> and portable <c>dotnet publish</c>);
/// the same directories themselves (RID-specific publish flattens native files); the NuGet package
/// folder (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>). On other platforms the library is left
/// to Confluent.Kafka's own loading.</para>
/// <para>Thread-safe and idempotent. Call it before creating any Confluent.Kafka client;
/// <see cref="KafkaClientDefaults"/> and the dev broker call it for you.</para>
/// </remarks>
public static class LibrdkafkaLoader
{
    /// <summary>Environment variable that names the librdkafka file to load.</summary>
    public const string PathEnvironmentVariable = "RECOFLOW_LIBRDKAFKA";

    /// <summary>The library name RecoFlow's own P/Invokes use; resolved to the loaded file.</summary>
    internal const string NativeLibraryName = "librdkafka";

    private const string RedistVersion = "2.16.0";
    private static readonly object Gate = new();
    private static string? _loadedPath;
    private static IntPtr _handle;

    /// <summary>The file that was loaded, or null when the platform default is used.</summary>
    public static string? LoadedPath
    {
        get { lock (Gate) { return _loadedPath; } }
    }

    /// <summary>Loads librdkafka once per process. Throws <see cref="DllNotFoundException"/> with the
    /// searched paths when no usable build is found.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero)
            {
                return;
            }

            var candidates = Candidates().Distinct(StringComparer.Ordinal).ToList();
            foreach (var path in candidates)
            {
                if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out var handle))
                {
                    continue;
                }

                _handle = handle;
                _loadedPath = path;
                NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaLoader).Assembly, Resolve);
                TrySetResolver(typeof(Confluent.Kafka.Library).Assembly, ResolveForConfluent);

                // Confluent.Kafka must use the same build; Load(path) is a no-op if it loaded one already.
                if (!Confluent.Kafka.Library.IsLoaded)
                {
                    Confluent.Kafka.Library.Load(path);
                }

                return;
            }

            if (!OperatingSystem.IsLinux())
            {
                // Windows/macOS: the generic build has no missing dependencies; let the runtime find it.
                _handle = NativeLibrary.Load("librdkafka", typeof(LibrdkafkaLoader).Assembly, null);
                NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaLoader).Assembly, Resolve);
                return;
            }

            throw new DllNotFoundException(
                "No loadable librdkafka build found. Searched: " + string.Join(", ", candidates) +
                $". Set {PathEnvironmentVariable} to the full path of centos8-librdkafka.so.");
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeLibraryName ? _handle : IntPtr.Zero;

    // Confluent.Kafka's Library.Load(path) dlopens through DllImport("libdl"), but Debian 12 only has
    // libdl.so.2 (libdl.so comes with libc6-dev); its bindings then import "librdkafka" or a variant name.
    private static IntPtr ResolveForConfluent(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName == "libdl")
        {
            foreach (var name in new[] { "libdl.so.2", "libc.so.6" })
            {
                if (NativeLibrary.TryLoad(name, out var libdl))
                {
                    return libdl;
                }
            }
        }

        return libraryName.EndsWith(NativeLibraryName, StringComparison.Ordinal) ? _handle : IntPtr.Zero;
    }

    private static void TrySetResolver(Assembly assembly, DllImportResolver resolver)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, resolver);
        }
        catch (InvalidOperationException)
        {
            // Someone else set a resolver for Confluent.Kafka; leave theirs in place.
        }
    }

    private static IEnumerable<string> Candidates()
    {
        var fromEnv = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            yield return Path.GetFullPath(fromEnv);
        }

        if (!OperatingSystem.IsLinux())
        {
            yield break;
        }

        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string[] names = File.Exists("/etc/alpine-release")
            ? ["alpine-librdkafka.so", "librdkafka.so"]
            : ["centos8-librdkafka.so", "librdkafka.so"];

        var dirs = new List<string> { AppContext.BaseDirectory };
        var asmDir = Path.GetDirectoryName(typeof(LibrdkafkaLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir))
        {
            dirs.Add(asmDir);
        }

        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(nugetRoot))
        {
            nugetRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        var nugetDir = Path.Combine(nugetRoot, "librdkafka.redist", RedistVersion);

        foreach (var name in names)
        {
            foreach (var dir in dirs)
            {
                yield return Path.Combine(dir, "runtimes", rid, "native", name);
                yield return Path.Combine(dir, name);
            }

            yield return Path.Combine(nugetDir, "runtimes", rid, "native", name);
        }
    }
}
