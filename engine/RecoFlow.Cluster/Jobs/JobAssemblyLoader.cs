using System.Reflection;
using System.Runtime.Loader;
using RecoFlow.Api;
using RecoFlow.Api.Graph;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// Loads a job class from a user's assembly (built against RecoFlow.Api), or from a package (a zip of the job project's
/// published folder, with its own dependencies), into its own collectible context (<see cref="JobLoadContext"/>). The
/// engine's assemblies (RecoFlow.Api, connectors, operators and their dependencies) come from the node, so the job's
/// types and the engine's agree. Disposing the returned owner unloads the context once the job's objects are gone.
/// </summary>
public static class JobAssemblyLoader
{
    public static LoadedJob Load(byte[] assembly, string jobClass, IReadOnlyDictionary<string, string> parameters, int? parallelism = null,
        Api.State.StateBackendKind? stateBackend = null)
    {
        JobLoadContext context;
        Assembly loaded;
        if (JobLoadContext.IsPackage(assembly)) (context, loaded) = JobLoadContext.ForPackage(jobClass, assembly);
        else
        {
            context = JobLoadContext.ForAssembly(jobClass);
            try { loaded = context.LoadFromStream(new MemoryStream(assembly, writable: false)); }
            catch (BadImageFormatException)
            {
                context.Dispose();
                throw new JobSubmissionException("the submitted file is neither a .NET assembly nor a zip of a published folder");
            }
        }
        try
        {
            Type? type;
            try { type = loaded.GetType(jobClass, throwOnError: false); }
            catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new JobSubmissionException($"class {jobClass} of assembly {loaded.GetName().Name} cannot be loaded: {e.Message}", e);
            }
            if (type is null)
                throw new JobSubmissionException($"assembly {loaded.GetName().Name} has no class {jobClass} (its public job classes: {string.Join(", ", JobClasses(loaded).DefaultIfEmpty("none"))})");
            if (!typeof(IJobDefinition).IsAssignableFrom(type))
                throw new JobSubmissionException($"{jobClass} does not implement RecoFlow.Api.IJobDefinition (was it built against this engine's RecoFlow.Api?)");
            if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
                throw new JobSubmissionException($"{jobClass} needs a public parameterless constructor");
            // From here on the user's code runs (type initialiser, constructor, Name, Parameters, Build): whatever it
            // throws refuses the submission with what it said, and never reaches the job manager.
            IJobDefinition definition;
            try { definition = (IJobDefinition)Activator.CreateInstance(type)!; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new JobSubmissionException($"{jobClass} cannot be created: {Describe(e)}", e);
            }
            JobGraph graph;
            string name = jobClass;
            try
            {
                name = definition.Name;
                graph = definition.BuildGraph(parameters, parallelism, stateBackend);
            }
            catch (JobParameterException e) { throw new JobSubmissionException($"job '{name}': {e.Message}", e); }
            catch (JobValidationException e) { throw new JobSubmissionException(e.Message, e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
            {
                throw new JobSubmissionException($"job '{name}': {e.Message}", e);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new JobSubmissionException($"job '{name}' cannot be built: {Describe(e)}", e);
            }
            return new LoadedJob(graph, context, loaded);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>What user code threw, through the reflection and type-initialiser wrappers: "its type initialiser threw X: message".</summary>
    private static string Describe(Exception e)
    {
        var prefix = "";
        while (true)
        {
            switch (e)
            {
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    continue;
                case TypeInitializationException { InnerException: { } inner }:
                    prefix = $"the type initialiser of {((TypeInitializationException)e).TypeName} threw ";
                    e = inner;
                    continue;
            }
            return $"{prefix}{e.GetType().Name}: {e.Message}";
        }
    }

    private static IEnumerable<string> JobClasses(Assembly a)
    {
        try { return a.GetExportedTypes().Where(t => typeof(IJobDefinition).IsAssignableFrom(t) && !t.IsAbstract).Select(t => t.FullName!); }
        catch (ReflectionTypeLoadException) { return []; }
    }
}
