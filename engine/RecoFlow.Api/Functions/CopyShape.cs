using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace RecoFlow.Api.Functions;

/// <summary>What <see cref="SubtaskCopy"/> does with a value, by its runtime type.</summary>
internal enum CopyKind
{
    /// <summary>Handed over as it is: immutable by nature (strings, primitives, enums, reflection objects) or shared by rule.</summary>
    Shared,
    /// <summary>Cannot be copied (an operating-system handle, an object with a finalizer); copying throws.</summary>
    Refused,
    /// <summary>A delegate: its target is copied and the delegate bound again to the copy.</summary>
    Delegate,
    /// <summary>An array: cloned, its elements copied when they may need it.</summary>
    Array,
    /// <summary>Any other object (or boxed struct): cloned, its fields copied; shared when all its fields are readonly and their values are shared.</summary>
    Object,
}

/// <summary>
/// The copy plan of one type, computed once per type: its kind, and for objects which instance fields (of every level
/// of the hierarchy) may point at something to copy and whether all of them are readonly.
/// </summary>
internal sealed class CopyShape
{
    private static readonly ConcurrentDictionary<Type, CopyShape> Shapes = new();
    private static readonly ConcurrentDictionary<Type, bool> SharedTypes = new();
    private static readonly ConcurrentDictionary<Type, bool> ReferenceHolders = new();

    /// <summary>Namespaces of types that are thread-safe by design (and of reflection objects): handed to every subtask as they are.</summary>
    private static readonly string[] SharedNamespaces =
        ["System.Threading", "System.Collections.Concurrent", "System.Reflection", "System.Diagnostics.Metrics"];

    /// <summary>
    /// Services meant to be shared, by namespace-qualified name of a base type or interface (the API references none of
    /// their assemblies): loggers, actor references and systems, HTTP clients, service providers, serializer settings,
    /// encodings, cultures, string comparers and weak tables.
    /// </summary>
    private static readonly HashSet<string> SharedServices = new(StringComparer.Ordinal)
    {
        "Microsoft.Extensions.Logging.ILogger", "Microsoft.Extensions.Logging.ILoggerFactory", "Serilog.ILogger",
        "Akka.Actor.IActorRef", "Akka.Actor.ActorSystem", "System.IServiceProvider", "System.Net.Http.HttpMessageInvoker",
        "System.Diagnostics.ActivitySource", "System.Text.Json.JsonSerializerOptions", "MessagePack.MessagePackSerializerOptions",
        "MessagePack.IFormatterResolver", "System.Text.Encoding", "System.Globalization.CultureInfo", "System.StringComparer",
        "System.TimeZoneInfo", "System.Runtime.CompilerServices.ConditionalWeakTable",
    };

    private CopyShape(CopyKind kind, FieldInfo[]? fields = null, bool readOnly = false, bool elementsNeedCopy = false, string? refusal = null)
    {
        Kind = kind;
        Fields = fields ?? [];
        ReadOnly = readOnly;
        ElementsNeedCopy = elementsNeedCopy;
        Refusal = refusal;
    }

    public CopyKind Kind { get; }

    /// <summary>Objects: the instance fields that may point at something to copy (references, and structs holding references).</summary>
    public FieldInfo[] Fields { get; }

    /// <summary>Objects: every instance field is readonly, so the object is shared when the values of <see cref="Fields"/> are.</summary>
    public bool ReadOnly { get; }

    /// <summary>Arrays: the elements may need copying (else a clone of the array is the copy).</summary>
    public bool ElementsNeedCopy { get; }

    /// <summary>Refused types: why.</summary>
    public string? Refusal { get; }

    public static CopyShape Of(Type type) => Shapes.GetOrAdd(type, Create);

    /// <summary>Whether a field or element of static type <paramref name="type"/> may hold something the copier must visit.</summary>
    public static bool NeedsVisit(Type type) =>
        type.IsValueType ? HoldsReferences(type) && Of(type).Kind != CopyKind.Shared : !IsSharedType(type);

    private static CopyShape Create(Type t)
    {
        if (IsSharedType(t)) return new CopyShape(CopyKind.Shared);
        if (typeof(SafeHandle).IsAssignableFrom(t))
            return new CopyShape(CopyKind.Refused, refusal: $"{t.Name} is an operating-system handle; open it in Open() instead");
        // A finalizer frees something the object owns outside the managed heap (a handle, native memory): two copies
        // would free it twice.
        if (t.GetMethod("Finalize", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)?.DeclaringType is { } f && f != typeof(object))
            return new CopyShape(CopyKind.Refused, refusal: $"{t.Name} has a finalizer (it owns an unmanaged resource); create it in Open() instead, or mark a thread-safe type [SharedAcrossSubtasks]");
        if (typeof(Delegate).IsAssignableFrom(t)) return new CopyShape(CopyKind.Delegate);
        if (t.IsArray) return new CopyShape(CopyKind.Array, elementsNeedCopy: NeedsVisit(t.GetElementType()!));
        var all = InstanceFields(t);
        var visit = all.Where(f => NeedsVisit(f.FieldType)).ToArray();
        var readOnly = all.All(f => f.IsInitOnly);
        return visit.Length == 0 && readOnly ? new CopyShape(CopyKind.Shared) : new CopyShape(CopyKind.Object, visit, readOnly);
    }

    /// <summary>
    /// Types whose instances are never copied, nor any instance of a type deriving from them: strings, primitives, enums,
    /// pointers, reflection objects, types of <see cref="SharedNamespaces"/> and <see cref="SharedServices"/>, and types
    /// marked <see cref="SharedAcrossSubtasksAttribute"/> (or deriving from, or implementing, a marked type).
    /// </summary>
    public static bool IsSharedType(Type type) => SharedTypes.GetOrAdd(type, static t =>
        t.IsPrimitive || t.IsEnum || t.IsPointer || t.IsFunctionPointer || t == typeof(string) || t == typeof(decimal)
        || typeof(MemberInfo).IsAssignableFrom(t) || typeof(Assembly).IsAssignableFrom(t) || typeof(Module).IsAssignableFrom(t)
        || SelfAndAncestors(t).Any(SharedByRule));

    private static bool SharedByRule(Type t) =>
        t.IsDefined(typeof(SharedAcrossSubtasksAttribute), inherit: false)
        || (t.Namespace is { } ns && SharedNamespaces.Any(s => ns == s || ns.StartsWith(s + ".", StringComparison.Ordinal)))
        || SharedServices.Contains($"{t.Namespace}.{NameWithoutArity(t)}");

    private static string NameWithoutArity(Type t) => t.Name.IndexOf('`', StringComparison.Ordinal) is var i and >= 0 ? t.Name[..i] : t.Name;

    private static IEnumerable<Type> SelfAndAncestors(Type t)
    {
        for (var b = t; b is not null; b = b.BaseType) yield return b;
        foreach (var i in t.GetInterfaces()) yield return i;
    }

    /// <summary>Every instance field of <paramref name="t"/> and its base types.</summary>
    public static List<FieldInfo> InstanceFields(Type t)
    {
        var fields = new List<FieldInfo>();
        for (var b = t; b is not null; b = b.BaseType)
            fields.AddRange(b.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        return fields;
    }

    /// <summary>Whether a value type holds object references, directly or in nested structs.</summary>
    private static bool HoldsReferences(Type valueType) => ReferenceHolders.GetOrAdd(valueType, static t =>
        !t.IsPrimitive && !t.IsEnum && InstanceFields(t).Any(f =>
            f.FieldType.IsValueType ? HoldsReferences(f.FieldType) : !(f.FieldType.IsPointer || f.FieldType.IsFunctionPointer)));
}
