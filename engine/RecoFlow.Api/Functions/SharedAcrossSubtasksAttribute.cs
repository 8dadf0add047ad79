namespace RecoFlow.Api.Functions;

/// <summary>
/// Instances of the marked type (a class, struct or interface, and every type deriving from or implementing it) are
/// not copied for a parallel subtask: every subtask gets the very same object (see <see cref="SubtaskCopy"/>).
/// <para>Mark only what is safe to use from several threads at once: a thread-safe service (a client, a cache built
/// for concurrency), an object that is read-only by contract though not by construction, or a test probe that must
/// see every subtask. Anything else a function holds must be its own per subtask; create resources such as
/// connections in <see cref="RichFunction.Open"/> instead.</para>
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, Inherited = true, AllowMultiple = false)]
public sealed class SharedAcrossSubtasksAttribute : Attribute;
