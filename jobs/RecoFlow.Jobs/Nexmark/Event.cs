using MessagePack;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>Which of <see cref="Event"/>'s payloads is set.</summary>
public enum EventKind : byte
{
    Person = 0,
    Auction = 1,
    Bid = 2,
}

/// <summary>
/// One Nexmark event: a tagged union of <see cref="Nexmark.Person"/>, <see cref="Nexmark.Auction"/> and
/// <see cref="Nexmark.Bid"/>. Exactly one payload is non-null and <see cref="Kind"/> names it; the union costs one
/// small object on top of the payload.
/// </summary>
[MessagePackObject]
public sealed record Event
{
    [SerializationConstructor]
    public Event(EventKind kind, Person? person, Auction? auction, Bid? bid)
    {
        var ok = kind switch
        {
            EventKind.Person => person is not null && auction is null && bid is null,
            EventKind.Auction => person is null && auction is not null && bid is null,
            EventKind.Bid => person is null && auction is null && bid is not null,
            _ => false,
        };
        if (!ok) throw new ArgumentException($"an event of kind {kind} must carry exactly its own payload", nameof(kind));
        Kind = kind;
        Person = person;
        Auction = auction;
        Bid = bid;
    }

    public Event(Person person) : this(EventKind.Person, person ?? throw new ArgumentNullException(nameof(person)), null, null) { }
    public Event(Auction auction) : this(EventKind.Auction, null, auction ?? throw new ArgumentNullException(nameof(auction)), null) { }
    public Event(Bid bid) : this(EventKind.Bid, null, null, bid ?? throw new ArgumentNullException(nameof(bid))) { }

    [Key(0)] public EventKind Kind { get; }
    [Key(1)] public Person? Person { get; }
    [Key(2)] public Auction? Auction { get; }
    [Key(3)] public Bid? Bid { get; }

    /// <summary>Event time of the payload (epoch milliseconds).</summary>
    [IgnoreMember]
    public long DateTime => Kind switch
    {
        EventKind.Person => Person!.DateTime,
        EventKind.Auction => Auction!.DateTime,
        _ => Bid!.DateTime,
    };
}
