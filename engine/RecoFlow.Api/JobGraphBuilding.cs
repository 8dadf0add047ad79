using RecoFlow.Api.Graph;

namespace RecoFlow.Api;

/// <summary>
/// Builds a job definition's graph the same way wherever a job starts (<c>recoflow run</c>, a cluster's job manager,
/// a submitted assembly), with the submitter's parallelism override (Flink's <c>-p</c>).
/// </summary>
public static class JobGraphBuilding
{
    /// <summary>The parameter a job declares when its graph depends on its parallelism (splits, task counts).</summary>
    public const string ParallelismParameter = "parallelism";

    /// <summary>
    /// Builds and validates the graph. With <paramref name="parallelism"/>, it becomes the job's default parallelism
    /// (operators that set their own keep it, as in Flink), and a job that declares a <c>parallelism</c> parameter
    /// gets it as that parameter too, so its own uses of the parameter agree. Throws
    /// <see cref="JobParameterException"/> for a bad or conflicting parameter and <see cref="JobValidationException"/>
    /// for an invalid graph. With <paramref name="stateBackend"/>, the job's keyed state lives there (overriding the
    /// job's own <c>WithStateBackend</c>).
    /// </summary>
    public static JobGraph BuildGraph(this IJobDefinition definition, IReadOnlyDictionary<string, string> values, int? parallelism = null,
        State.StateBackendKind? stateBackend = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(values);
        var effective = values;
        if (parallelism is { } p)
        {
            if (p < 1) throw new JobParameterException($"parallelism must be at least 1, got {p}");
            if (definition.Parameters.Any(d => d.Name == ParallelismParameter))
            {
                if (values.TryGetValue(ParallelismParameter, out var given) && given != p.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    throw new JobParameterException($"parallelism {p} conflicts with parameter 'parallelism={given}': give one of them");
                effective = new Dictionary<string, string>(values, StringComparer.Ordinal) { [ParallelismParameter] = p.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
        }
        var job = definition.Build(new JobParameters(effective, definition.Parameters));
        if (parallelism is { } n)
        {
            if (n > job.MaxParallelism)
                throw new JobParameterException($"parallelism {n} exceeds the job's max parallelism {job.MaxParallelism}");
            job.WithDefaultParallelism(n);
        }
        if (stateBackend is { } backend) job.WithStateBackend(backend);
        return job.Build();
    }
}
