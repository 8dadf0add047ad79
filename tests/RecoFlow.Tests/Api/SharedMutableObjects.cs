using System.Reflection;

namespace RecoFlow.Tests.Api;

/// <summary>
/// Finds the mutable objects two object graphs share, by walking every instance field (of every type, framework
/// collections included), array element and delegate target reachable from each root. Its rule is its own, not the
/// copier's: an object is mutable when it is a non-empty array or has a writable instance field. Not mutable: strings,
/// boxed primitives and enums, reflection objects (types, a delegate's method), delegates themselves (their targets are
/// walked), and objects whose fields are all readonly (what those fields point at is walked and judged on its own).
/// </summary>
internal static class SharedMutableObjects
{
    /// <summary>How the walk first reached an object: from which object, through which field.</summary>
    private readonly record struct Step(object? From, string Via);

    /// <summary>One line per mutable object reachable from both roots: its type and a path to it from <paramref name="a"/>.</summary>
    public static IReadOnlyList<string> Between(object a, object b, Func<object, bool>? sharedByDesign = null)
    {
        var fromA = Walk(a);
        return Walk(b).Keys
            .Where(o => fromA.ContainsKey(o) && IsMutable(o) && sharedByDesign?.Invoke(o) != true)
            .Select(o => $"{o.GetType().Name} at {Path(fromA, o)}")
            .ToList();
    }

    /// <summary>Every object reachable from <paramref name="root"/> (root included), with how it was first reached.</summary>
    private static Dictionary<object, Step> Walk(object root)
    {
        var seen = new Dictionary<object, Step>(ReferenceEqualityComparer.Instance) { [root] = new(null, "") };
        var pending = new Stack<object>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var o = pending.Pop();
            foreach (var (child, via) in Children(o))
            {
                if (seen.ContainsKey(child)) continue;
                seen[child] = new Step(o, via);
                if (!IsLeaf(child)) pending.Push(child);
            }
        }
        return seen;
    }

    /// <summary>Every object reachable from the set of <paramref name="root"/>: for the checks that the walk sees enough.</summary>
    public static IReadOnlyCollection<object> Reachable(object root) => Walk(root).Keys;

    private static IEnumerable<(object Child, string Via)> Children(object o)
    {
        switch (o)
        {
            case Delegate d:
                foreach (var call in d.GetInvocationList())
                    if (call.Target is { } target) yield return (target, $"target of {call.Method.Name}");
                yield break;
            case Array a:
            {
                int i = 0;
                foreach (var element in a)
                {
                    if (element is not null)
                        foreach (var c in Inline(element, a.GetType().GetElementType()!, $"[{i}]")) yield return c;
                    i++;
                }
                yield break;
            }
        }
        foreach (var f in InstanceFields(o.GetType()))
            if (f.GetValue(o) is { } v)
                foreach (var c in Inline(v, f.FieldType, f.Name)) yield return c;
    }

    /// <summary>
    /// A value of static type <paramref name="type"/>: an object is a child; a struct (boxed afresh by reflection, so
    /// its box is no identity) is looked into, its fields being children of the holder.
    /// </summary>
    private static IEnumerable<(object, string)> Inline(object value, Type type, string via)
    {
        if (!type.IsValueType)
        {
            yield return (value, via);
            yield break;
        }
        if (type.IsPrimitive || type.IsEnum || type.IsPointer) yield break;
        foreach (var f in InstanceFields(value.GetType()))
            if (f.GetValue(value) is { } v)
                foreach (var c in Inline(v, f.FieldType, $"{via}.{f.Name}")) yield return c;
    }

    private static bool IsLeaf(object o) => o is string or MemberInfo or Assembly or Module || o.GetType().IsPrimitive || o.GetType().IsEnum;

    public static bool IsMutable(object o) => o switch
    {
        string or MemberInfo or Assembly or Module or Delegate => false,
        Array a => a.Length > 0,
        _ when o.GetType().IsPrimitive || o.GetType().IsEnum => false,
        _ => InstanceFields(o.GetType()).Any(f => !f.IsInitOnly),
    };

    private static IEnumerable<FieldInfo> InstanceFields(Type t)
    {
        for (var b = t; b is not null; b = b.BaseType)
            foreach (var f in b.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return f;
    }

    private static string Path(Dictionary<object, Step> steps, object o)
    {
        var parts = new List<string>();
        for (var at = o; steps[at].From is { } from; at = from) parts.Add($"{steps[at].Via} ({at.GetType().Name})");
        parts.Reverse();
        return string.Join(" -> ", parts);
    }
}
