namespace RecoFlow.Server.Tests;

/// <summary>Polls a condition of a live system until it holds or a deadline passes (then the test fails with the last state).</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what ?? "condition"}; last value: {value}");
            await Task.Delay(100);
        }
    }
}
