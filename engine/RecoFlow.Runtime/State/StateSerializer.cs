using MessagePack;
using MessagePack.Resolvers;

namespace RecoFlow.Runtime.State;

/// <summary>
/// MessagePack options for state: types with <c>[MessagePackObject]</c> use their explicit, versioned contracts;
/// other types (plain records, collections) fall back to the contractless resolver.
/// </summary>
public static class StateSerializer
{
    public static MessagePackSerializerOptions Options { get; } =
        ContractlessStandardResolverAllowPrivate.Options.WithSecurity(MessagePackSecurity.TrustedData);

    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);
}
