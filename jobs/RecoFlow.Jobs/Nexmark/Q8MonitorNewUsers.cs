using MessagePack;
using RecoFlow.Api;
using RecoFlow.Api.Functions;
using RecoFlow.Api.Streams;
using RecoFlow.Api.Windows;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>
/// Nexmark query 8, monitor new users: the persons who opened an auction in the same tumbling window of <c>window</c>
/// (default 10 s) in which they registered. Flink's SQL joins persons grouped by (id, name, window) with auctions
/// grouped by (seller, window); here persons and auctions stay one <see cref="Event"/> stream, keyed by person id
/// and seller into tumbling windows whose accumulator records the person's name and whether an auction was seen.
/// One result per (person, window).
/// </summary>
public sealed class Q8MonitorNewUsers() : NexmarkQuery<Q8Result>("nexmark-q8", "Nexmark q8 (monitor new users): persons who opened an auction in the window they registered in",
    new JobParameter("window", "tumbling window size", "10s"))
{
    public override DataStream<Q8Result> Apply(DataStream<Event> events, JobParameters parameters)
    {
        var size = PositiveDuration(parameters, "window");
        return events
            .Filter(static e => e.Kind != EventKind.Bid, "persons-and-auctions")
            .KeyBy(static e => e.Kind == EventKind.Person ? e.Person!.Id : e.Auction!.Seller)
            .Window(TumblingWindows<Event>.OfEventTime(size))
            .Aggregate(new NewUserAggregate(), new EmitNewUser(), "join-person-auction");
    }

    /// <summary>What one window knows of one person: their name if they registered in it, and whether they sold.</summary>
    [MessagePackObject]
    public sealed class NewUser
    {
        [Key(0)] public string? Name { get; set; }
        [Key(1)] public bool Sold { get; set; }
    }

    public sealed class NewUserAggregate : IAggregateFunction<Event, NewUser, NewUser>
    {
        public NewUser CreateAccumulator() => new();

        public NewUser Add(Event value, NewUser accumulator)
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentNullException.ThrowIfNull(accumulator);
            if (value.Person is { } p) accumulator.Name = p.Name;
            else accumulator.Sold = true;
            return accumulator;
        }

        public NewUser GetResult(NewUser accumulator) => accumulator;

        public NewUser Merge(NewUser a, NewUser b)
        {
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            return new NewUser { Name = a.Name ?? b.Name, Sold = a.Sold || b.Sold };
        }
    }

    /// <summary>Emits the person when the window saw both the registration and an auction.</summary>
    public sealed class EmitNewUser : ProcessWindowFunction<NewUser, Q8Result, long, TimeWindow>
    {
        public override void Process(long key, IWindowContext<TimeWindow> context, IEnumerable<NewUser> elements, ICollector<Q8Result> output)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(elements);
            ArgumentNullException.ThrowIfNull(output);
            foreach (var u in elements)
                if (u.Name is { } name && u.Sold) output.Collect(new Q8Result(key, name, context.Window.Start));
        }
    }
}
