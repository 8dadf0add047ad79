using MessagePack;

namespace RecoFlow.Jobs.Nexmark;

/// <summary>A person who registered to sell or bid (Nexmark's <c>Person</c>).</summary>
/// <param name="Id">Person id, unique, starting at <see cref="NexmarkGenerator.FirstPersonId"/>.</param>
/// <param name="Name">First and last name.</param>
/// <param name="EmailAddress">Random e-mail address.</param>
/// <param name="CreditCard">Sixteen digits in groups of four.</param>
/// <param name="City">A US city.</param>
/// <param name="State">A US state code.</param>
/// <param name="DateTime">Registration time (event time, epoch milliseconds).</param>
/// <param name="Extra">Padding that brings the record to its average size.</param>
[MessagePackObject]
public sealed record Person(
    [property: Key(0)] long Id,
    [property: Key(1)] string Name,
    [property: Key(2)] string EmailAddress,
    [property: Key(3)] string CreditCard,
    [property: Key(4)] string City,
    [property: Key(5)] string State,
    [property: Key(6)] long DateTime,
    [property: Key(7)] string Extra);
