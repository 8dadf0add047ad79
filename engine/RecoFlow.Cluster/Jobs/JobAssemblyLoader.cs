using System.Reflection;
using System.Runtime.Loader;
using RecoFlow.Api;
using RecoFlow.Api.Graph;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Loads a job class from a user's assembly (built against RecoFlow.Api) into its own collectible
/// <see cref="AssemblyLoadContext"/>. The engine's assemblies (RecoFlow.Api, connectors, operators and their
/// dependencies) come from the node, so the job's types and the engine's agree; only the user's assembly is private to
/// the context. Disposing the returned owner unloads the context once the job's objects are gone.
/// </summary>
public static class JobAssemblyLoader
{
    public static LoadedJob Load(byte[] assembly, string jobClass, IReadOnlyDictionary<string, string> parameters, int? parallelism = null)
    {
        var context = new JobLoadContext(jobClass);
        try
        {
            Assembly loaded;
            try { loaded = context.LoadFromStream(new MemoryStream(assembly, writable: false)); }
            catch (BadImageFormatException) { throw new JobSubmissionException("the submitted file is not a .NET assembly"); }
            var type = loaded.GetType(jobClass, throwOnError: false)
                ?? throw new JobSubmissionException($"assembly {loaded.GetName().Name} has no class {jobClass} (its public job classes: {string.Join(", ", JobClasses(loaded).DefaultIfEmpty("none"))})");
            if (!typeof(IJobDefinition).IsAssignableFrom(type))
                throw new JobSubmissionException($"{jobClass} does not implement RecoFlow.Api.IJobDefinition (was it built against this engine's RecoFlow.Api?)");
            if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
                throw new JobSubmissionException($"{jobClass} needs a public parameterless constructor");
            var definition = (IJobDefinition)Activator.CreateInstance(type)!;
            JobGraph graph;
            try { graph = definition.BuildGraph(parameters, parallelism); }
            catch (JobParameterException e) { throw new JobSubmissionException($"job '{definition.Name}': {e.Message}", e); }
            catch (JobValidationException e) { throw new JobSubmissionException(e.Message, e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
            {
                throw new JobSubmissionException($"job '{definition.Name}': {e.Message}", e);
            }
            return new LoadedJob(graph, context, loaded);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static IEnumerable<string> JobClasses(Assembly a)
    {
        try { return a.GetExportedTypes().Where(t => typeof(IJobDefinition).IsAssignableFrom(t) && !t.IsAbstract).Select(t => t.FullName!); }
        catch (ReflectionTypeLoadException) { return []; }
    }

    /// <summary>Resolves nothing itself: every dependency falls back to the node's default context.</summary>
    private sealed class JobLoadContext(string name) : AssemblyLoadContext($"job:{name}", isCollectible: true), IDisposable
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;

        public void Dispose() => Unload();
    }
}
