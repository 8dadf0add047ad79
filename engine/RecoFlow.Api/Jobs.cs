using System.Globalization;
using RecoFlow.Api.Streams;

namespace RecoFlow.Api;

/// <summary>A parameter a job accepts (shown by <c>recoflow jobs</c>).</summary>
public sealed record JobParameter(string Name, string Description, string? Default = null, bool Required = false);

/// <summary>A job that the CLI and the cluster can run by name: it declares its parameters and builds its graph from them.</summary>
public interface IJobDefinition
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<JobParameter> Parameters { get; }

    /// <summary>Builds the job graph; throws <see cref="JobParameterException"/> for a missing or malformed parameter.</summary>
    StreamJob Build(JobParameters parameters);
}

/// <summary>A parameter is missing or malformed; the message names it.</summary>
public sealed class JobParameterException : Exception
{
    public JobParameterException(string message) : base(message) { }
    public JobParameterException() { }
    public JobParameterException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Job parameters (<c>--param k=v</c>) with typed, validating accessors.</summary>
public sealed class JobParameters
{
    private readonly Dictionary<string, string> _values;
    private readonly IReadOnlyList<JobParameter> _declared;

    public JobParameters(IReadOnlyDictionary<string, string> values, IReadOnlyList<JobParameter> declared)
    {
        _values = new Dictionary<string, string>(values, StringComparer.Ordinal);
        _declared = declared;
        foreach (var k in _values.Keys)
            if (!declared.Any(d => d.Name == k))
                throw new JobParameterException($"unknown parameter '{k}' (known: {string.Join(", ", declared.Select(d => d.Name))})");
        foreach (var d in declared.Where(d => d.Required && !_values.ContainsKey(d.Name)))
            throw new JobParameterException($"missing parameter '{d.Name}': {d.Description}");
    }

    public IReadOnlyDictionary<string, string> Values => _values;

    private string? Raw(string name)
    {
        if (_values.TryGetValue(name, out var v)) return v;
        return _declared.FirstOrDefault(d => d.Name == name)?.Default;
    }

    public string GetString(string name) => Raw(name) ?? throw new JobParameterException($"missing parameter '{name}'");
    public string? GetOptionalString(string name) => Raw(name);

    public int GetInt(string name) =>
        int.TryParse(GetString(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new JobParameterException($"parameter '{name}' must be an integer, got '{Raw(name)}'");

    public long GetLong(string name) =>
        long.TryParse(GetString(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new JobParameterException($"parameter '{name}' must be an integer, got '{Raw(name)}'");

    public double GetDouble(string name) =>
        double.TryParse(GetString(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new JobParameterException($"parameter '{name}' must be a number, got '{Raw(name)}'");

    public bool GetBool(string name) =>
        bool.TryParse(GetString(name), out var v) ? v : throw new JobParameterException($"parameter '{name}' must be true or false, got '{Raw(name)}'");

    /// <summary>A duration such as <c>10s</c>, <c>500ms</c>, <c>5m</c>, <c>1h</c>, or plain milliseconds.</summary>
    public TimeSpan GetDuration(string name) => ParseDuration(GetString(name)) ?? throw new JobParameterException($"parameter '{name}' must be a duration like 10s, 500ms, 5m, 1h or 7d, got '{Raw(name)}'");

    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        (string num, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000.0),
            _ when text.EndsWith('d') => (text[..^1], 86_400_000.0),
            _ => (text, 1.0),
        };
        return double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? TimeSpan.FromMilliseconds(v * scale) : null;
    }
}
