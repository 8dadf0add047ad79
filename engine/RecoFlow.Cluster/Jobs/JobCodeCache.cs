using System.Collections.Concurrent;
using System.Reflection;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Cluster.Jobs;

/// <summary>
/// One loaded copy of each running job's code per node: the job manager and every task of the job that this node
/// hosts share it, so a record type from a submitted assembly is one type on this node (the wire serializer resolves
/// record types through <see cref="FindAssembly"/>). Loaded on first use, unloaded when the last lease is returned.
/// </summary>
public sealed class JobCodeCache(IJobCatalog catalog)
{
    private static readonly ConcurrentDictionary<string, Assembly> Assemblies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private sealed class Entry(LoadedJob loaded)
    {
        public LoadedJob Loaded { get; } = loaded;
        public ExecutionPlan Plan { get; } = ExecutionPlan.Create(loaded.Graph);
        public int Leases;
    }

    /// <summary>The job's graph and plan on this node; dispose to return them.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly JobCodeCache _cache;
        private readonly string _jobId;
        private int _disposed;

        internal Lease(JobCodeCache cache, string jobId, ExecutionPlan plan)
        {
            _cache = cache;
            _jobId = jobId;
            Plan = plan;
        }

        public ExecutionPlan Plan { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _cache.Release(_jobId);
        }
    }

    /// <summary>Takes a lease on the job's code, loading it (built-in job or submitted assembly) if this node has none.</summary>
    public Lease Acquire(string jobId, JobSubmission submission)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(jobId, out var entry))
            {
                var loaded = catalog.Load(submission);
                try { entry = new Entry(loaded); }
                catch
                {
                    loaded.Dispose();
                    throw;
                }
                if (loaded.Code is { } code) Assemblies[code.GetName().Name!] = code;
                _jobs[jobId] = entry;
            }
            entry.Leases++;
            return new Lease(this, jobId, entry.Plan);
        }
    }

    private void Release(string jobId)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(jobId, out var entry) || --entry.Leases > 0) return;
            _jobs.Remove(jobId);
            if (entry.Loaded.Code is { } code) Assemblies.TryRemove(new KeyValuePair<string, Assembly>(code.GetName().Name!, code));
            entry.Loaded.Dispose();
        }
    }

    /// <summary>A submitted job assembly loaded on this node, by its simple name (the wire names record types so); null when none is.</summary>
    public static Assembly? FindAssembly(AssemblyName name) => name.Name is { } simple ? Assemblies.GetValueOrDefault(simple) : null;
}
