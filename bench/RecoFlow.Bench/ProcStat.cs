using System.Globalization;

namespace RecoFlow.Bench;

/// <summary>
/// CPU time from <c>/proc/PID/stat</c> (Linux): utime + stime of a live process, and cutime + cstime of this process
/// (the CPU of its children that have exited and been waited for, start-up and shutdown included).
/// </summary>
internal static class ProcStat
{
    /// <summary>Clock ticks per second of <c>/proc/PID/stat</c> (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public static bool Available => File.Exists("/proc/self/stat");

    /// <summary>utime + stime of <paramref name="pid"/> in seconds.</summary>
    public static double CpuSeconds(int pid) => Sum(Fields(pid.ToString(CultureInfo.InvariantCulture)), 14, 15);

    /// <summary>cutime + cstime of this process in seconds: every waited-for child's CPU so far.</summary>
    public static double ChildrenCpuSeconds() => Sum(Fields("self"), 16, 17);

    /// <summary>The fields after the command name (which may hold spaces and parentheses); field 3 (state) is index 0.</summary>
    private static string[] Fields(string pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        return text[(text.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <param name="a">1-based field number as in proc(5).</param>
    private static double Sum(string[] fields, int a, int b) =>
        (long.Parse(fields[a - 3], CultureInfo.InvariantCulture) + long.Parse(fields[b - 3], CultureInfo.InvariantCulture)) / TicksPerSecond;
}
