namespace RecoFlow.Api.Functions;

/// <summary>
/// The copy of user code each parallel subtask runs. A job holds one object per operator (its function, the lambdas
/// and aggregate functions given to the DSL, what a custom operator's factory passed in); every subtask gets its own
/// deep copy of the operator made from it (<see cref="Graph.OneInputTransformation{TIn,TOut}.OperatorFactory"/>), as
/// Flink deserialises its own copy of the user function in each subtask. So no subtask can write an object another
/// subtask reads, whether a function keeps it in a field, in a nested object, or a lambda captured it.
/// <para>Rules: objects are copied field by field (arrays, collections, nested objects and cycles included); a
/// delegate is bound again to a copy of its target, so a closure's captured variables are copied too. Handed over as
/// they are, never copied: strings, primitives, enums, reflection objects (<see cref="Type"/>, <see cref="System.Reflection.MethodInfo"/>),
/// empty arrays, objects whose fields are all readonly and hold only such values (records of settings, output tags),
/// types marked <see cref="SharedAcrossSubtasksAttribute"/>, and thread-safe framework types: everything in
/// <c>System.Threading</c> (locks, semaphores, cancellation tokens, tasks), <c>System.Collections.Concurrent</c>,
/// loggers, Akka actor references and systems, HTTP clients, serializer options, encodings, cultures, string
/// comparers. Static fields are never copied. Operating-system handles (<see cref="System.Runtime.InteropServices.SafeHandle"/>,
/// so open files and sockets) and other objects with a finalizer (weak references, native buffers) cannot be copied:
/// a <see cref="SubtaskCopyException"/> says so; create them in <see cref="RichFunction.Open"/>.</para>
/// <para>A large object a function holds (a model, a catalogue) is copied for each subtask like anything else: load it
/// in <see cref="RichFunction.Open"/>, or mark its type <see cref="SharedAcrossSubtasksAttribute"/> when it is
/// read-only by contract and safe to read from several threads.</para>
/// <para>Copies are made from the job's objects before anything opens them; state a function builds in its
/// constructor is copied, state it builds in <see cref="RichFunction.Open"/> is its own anyway.</para>
/// </summary>
public static class SubtaskCopy
{
    /// <summary>A deep copy of <paramref name="value"/> that shares no mutable object with it (see the rules above).</summary>
    /// <exception cref="SubtaskCopyException">Something reachable cannot be copied (an operating-system handle, an object with a finalizer).</exception>
    public static T Of<T>(T value) => (T)new SubtaskCopier().Copy(value)!;
}
