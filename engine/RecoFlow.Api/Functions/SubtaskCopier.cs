using System.Reflection;
using System.Reflection.Emit;

namespace RecoFlow.Api.Functions;

/// <summary>
/// One deep copy of an object graph (<see cref="SubtaskCopy.Of{T}"/>): objects reached twice (aliases, cycles) are
/// copied once, and the copy has the same shape. Not thread-safe; use one per copy.
/// </summary>
internal sealed class SubtaskCopier
{
    private static readonly Func<object, object> ShallowClone = typeof(object)
        .GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!
        .CreateDelegate<Func<object, object>>();

    /// <summary>Originals to their copies (or to themselves when shared).</summary>
    private readonly Dictionary<object, object> _copies = new(ReferenceEqualityComparer.Instance);

    /// <summary>Verdicts of <see cref="IsShared"/> that hold for good.</summary>
    private readonly Dictionary<object, bool> _shared = new(ReferenceEqualityComparer.Instance);

    public object? Copy(object? value)
    {
        if (value is null) return null;
        if (_copies.TryGetValue(value, out var known)) return known;
        var shape = CopyShape.Of(value.GetType());
        return shape.Kind switch
        {
            CopyKind.Shared => value,
            CopyKind.Refused => throw new SubtaskCopyException($"cannot copy a {value.GetType().FullName} for a parallel subtask: {shape.Refusal}"),
            CopyKind.Delegate => CopyDelegate((Delegate)value),
            CopyKind.Array => CopyArray((Array)value, shape),
            _ => CopyObject(value, shape),
        };
    }

    private object CopyObject(object value, CopyShape shape)
    {
        if (shape.ReadOnly && IsShared(value)) return Remember(value, value);
        var copy = Remember(value, ShallowClone(value));
        foreach (var field in shape.Fields)
        {
            var v = field.GetValue(value);
            var c = Copy(v);
            if (!ReferenceEquals(v, c)) field.SetValue(copy, c);
        }
        return copy;
    }

    private Array CopyArray(Array array, CopyShape shape)
    {
        if (array.Length == 0) return array;
        var copy = (Array)Remember(array, array.Clone());
        if (!shape.ElementsNeedCopy) return copy;
        if (array.Rank == 1)
        {
            int lower = array.GetLowerBound(0);
            for (int i = lower; i < lower + array.Length; i++) CopyElement(array, copy, i);
        }
        else
        {
            var index = new int[array.Rank];
            for (int flat = 0; flat < array.Length; flat++)
            {
                for (int d = array.Rank - 1, rest = flat; d >= 0; d--)
                {
                    int length = array.GetLength(d);
                    index[d] = array.GetLowerBound(d) + rest % length;
                    rest /= length;
                }
                CopyElement(array, copy, index);
            }
        }
        return copy;
    }

    private void CopyElement(Array array, Array copy, int index)
    {
        var v = array.GetValue(index);
        var c = Copy(v);
        if (!ReferenceEquals(v, c)) copy.SetValue(c, index);
    }

    private void CopyElement(Array array, Array copy, int[] index)
    {
        var v = array.GetValue(index);
        var c = Copy(v);
        if (!ReferenceEquals(v, c)) copy.SetValue(c, index);
    }

    /// <summary>A delegate bound again to a copy of its target (the closure, or the object of an instance method), so captured state is copied too.</summary>
    private Delegate CopyDelegate(Delegate value)
    {
        var calls = value.GetInvocationList();
        if (calls.Length > 1)
        {
            var parts = calls.Select(c => (Delegate)Copy(c)!).ToArray();
            return (Delegate)Remember(value, parts.SequenceEqual(calls) ? value : Delegate.Combine(parts)!);
        }
        var target = value.Target;
        if (target is null) return (Delegate)Remember(value, value);
        var copiedTarget = Copy(target);
        if (_copies.TryGetValue(value, out var done)) return (Delegate)done; // the target's graph held this delegate
        if (ReferenceEquals(copiedTarget, target)) return (Delegate)Remember(value, value);
        return (Delegate)Remember(value, Rebind(value, copiedTarget!));
    }

    private static Delegate Rebind(Delegate value, object target)
    {
        try
        {
            return value.Method is DynamicMethod dynamic
                ? dynamic.CreateDelegate(value.GetType(), target)
                : Delegate.CreateDelegate(value.GetType(), target, value.Method);
        }
        catch (ArgumentException e)
        {
            throw new SubtaskCopyException(
                $"cannot copy the delegate to {value.Method.DeclaringType?.FullName}.{value.Method.Name} for a parallel subtask: its target cannot be bound again", e);
        }
    }

    private object Remember(object original, object copy)
    {
        _copies[original] = copy;
        return copy;
    }

    /// <summary>
    /// Whether <paramref name="value"/> can be handed over as it is: it is of a shared kind, or it is an object whose
    /// fields are all readonly and whose field values can all be handed over (an empty array can, a non-empty one not:
    /// its elements can be written). Cycles count as shared until something mutable is found.
    /// </summary>
    private bool IsShared(object value)
    {
        if (_shared.TryGetValue(value, out var known)) return known;
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var shared = Explore(value, visited);
        // A "yes" holds for everything the walk saw (all of it was found shareable); a "no" was recorded on the way back up.
        if (shared) foreach (var v in visited) _shared[v] = true;
        return shared;
    }

    private bool Explore(object value, HashSet<object> visited)
    {
        if (_shared.TryGetValue(value, out var known)) return known;
        if (!visited.Add(value)) return true;
        var shape = CopyShape.Of(value.GetType());
        var shared = shape.Kind switch
        {
            CopyKind.Shared => true,
            CopyKind.Delegate => ((Delegate)value).GetInvocationList().All(d => d.Target is null || Explore(d.Target, visited)),
            CopyKind.Array => ((Array)value).Length == 0,
            CopyKind.Object => shape.ReadOnly && shape.Fields.All(f => f.GetValue(value) is not { } v || Explore(v, visited)),
            _ => false,
        };
        if (!shared) _shared[value] = false;
        return shared;
    }
}
