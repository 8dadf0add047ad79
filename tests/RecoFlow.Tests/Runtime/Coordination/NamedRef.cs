using Akka.Actor;

namespace RecoFlow.Tests.Runtime.Coordination;

/// <summary>An actor reference that only has a name: enough to tell tasks apart without an actor system.</summary>
internal sealed class NamedRef(string name) : MinimalActorRef
{
    public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "test")) / name;
    public override IActorRefProvider Provider => throw new NotSupportedException();
}
