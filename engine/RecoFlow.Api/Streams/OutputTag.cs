namespace RecoFlow.Api.Streams;

/// <summary>Names a side output of an operator and the type of its records (Flink: OutputTag). Tags are equal when their ids are equal.</summary>
public sealed class OutputTag<T> : IOutputTag, IEquatable<OutputTag<T>>
{
    public OutputTag(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException("an output tag needs a non-empty id", nameof(id));
        Id = id;
    }

    public string Id { get; }
    public Type RecordType => typeof(T);

    public bool Equals(OutputTag<T>? other) => other is not null && other.Id == Id;
    public override bool Equals(object? obj) => obj is OutputTag<T> t && Equals(t);
    public override int GetHashCode() => Id.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => $"OutputTag<{typeof(T).Name}>({Id})";
}

/// <summary>Untyped view of an <see cref="OutputTag{T}"/>.</summary>
public interface IOutputTag
{
    string Id { get; }
    Type RecordType { get; }
}
