namespace RecoFlow.Cluster.Tests;

/// <summary>Waits for a condition on live node processes by polling, as the multi-process tests do.</summary>
public static class Polling
{
    /// <summary>
    /// Polls <paramref name="condition"/> every 200 ms until it holds; exceptions that <paramref name="transient"/>
    /// accepts count as "not yet". After <paramref name="timeout"/> the test fails naming <paramref name="what"/>, the
    /// last such exception and what <paramref name="describe"/> reports (the nodes' views and logs).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Exception, bool> transient, Func<Task<string>> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (transient(e))
            {
                last = e;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for: {what}{(last is null ? "" : $" (last error: {last.Message})")}\n{await describe()}");
    }
}
