using System.Reflection;
using System.Reflection.Emit;
using RecoFlow.Api;

namespace RecoFlow.Cluster.Tests;

/// <summary>
/// Job assemblies that misbehave, emitted in memory (no build step): <see cref="ThrowingInitialiser"/>'s type
/// initialiser throws <see cref="InitialiserMessage"/>; <see cref="ThrowingBuild"/>'s members all throw.
/// Both implement <see cref="IJobDefinition"/>, so they pass every check before their code runs.
/// </summary>
public static class HostileAssemblies
{
    public const string ThrowingInitialiser = "Hostile.ThrowingInitialiser";
    public const string ThrowingBuild = "Hostile.ThrowingBuild";
    public const string InitialiserMessage = "no licence file found";

    public static byte[] Emit()
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName("Hostile"), typeof(object).Assembly);
        var module = assembly.DefineDynamicModule("Hostile");
        Define(module, ThrowingInitialiser, withThrowingInitialiser: true);
        Define(module, ThrowingBuild, withThrowingInitialiser: false);
        using var stream = new MemoryStream();
        assembly.Save(stream);
        return stream.ToArray();
    }

    private static void Define(ModuleBuilder module, string name, bool withThrowingInitialiser)
    {
        var type = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(object), [typeof(IJobDefinition)]);
        type.DefineDefaultConstructor(MethodAttributes.Public);
        if (withThrowingInitialiser)
        {
            var il = type.DefineTypeInitializer().GetILGenerator();
            il.Emit(OpCodes.Ldstr, InitialiserMessage);
            il.Emit(OpCodes.Newobj, typeof(InvalidOperationException).GetConstructor([typeof(string)])!);
            il.Emit(OpCodes.Throw);
        }
        // Every member of the interface: "throw null" (a NullReferenceException).
        foreach (var m in typeof(IJobDefinition).GetMethods())
        {
            var method = type.DefineMethod(m.Name, MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
                m.ReturnType, m.GetParameters().Select(p => p.ParameterType).ToArray());
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldnull);
            il.Emit(OpCodes.Throw);
            type.DefineMethodOverride(method, m);
        }
        type.CreateType();
    }
}
