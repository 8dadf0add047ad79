using System.Runtime.InteropServices;

namespace RecoFlow.Recommendations.Streaming.Models;

/// <summary>
/// Bounds the item model's training copy of the user factors (<see cref="ItemTrainerState.UserFactors"/>): each
/// positive event stamps its user's event time, and a sweep, at most once per quarter of the time to live, removes the
/// users with no positive event for <see cref="ItemModelOptions.UserTimeToLive"/> of event time (as user features
/// and scoring forget them). A user who comes back starts with fresh factors.
/// </summary>
public static class UserFactorExpiry
{
    /// <summary>Records that <paramref name="user"/> had a positive event at <paramref name="t"/>.</summary>
    public static void Touch(ItemTrainerState s, string user, long t)
    {
        ref long seen = ref CollectionsMarshal.GetValueRefOrAddDefault(s.UserSeenMs, user, out _);
        if (t > seen) seen = t;
    }

    /// <summary>Removes the users last seen before <paramref name="now"/> − <paramref name="ttlMs"/>, when a sweep is due; returns how many.</summary>
    public static int Sweep(ItemTrainerState s, long now, long ttlMs)
    {
        if (ttlMs <= 0) return 0;
        if (s.NextUserSweepMs == long.MinValue) s.NextUserSweepMs = now + Math.Max(1, ttlMs / 4);
        if (now < s.NextUserSweepMs) return 0;
        s.NextUserSweepMs = now + Math.Max(1, ttlMs / 4);
        long horizon = now - ttlMs;
        List<string>? expired = null;
        foreach (var (user, seen) in s.UserSeenMs)
            if (seen < horizon) (expired ??= []).Add(user);
        if (expired is null) return 0;
        foreach (var user in expired)
        {
            s.UserSeenMs.Remove(user);
            s.UserFactors.Remove(user);
        }
        return expired.Count;
    }
}
