namespace RecoFlow.Runtime.Execution;

/// <summary>What changed at the output of a <see cref="WatermarkValve"/>.</summary>
[Flags]
internal enum ValveOutput
{
    None = 0,

    /// <summary>The input turned idle or active as a whole: tell downstream (<see cref="WatermarkValve.IsIdle"/>) before any watermark.</summary>
    IdleChanged = 1,

    /// <summary>The output watermark advanced to <see cref="WatermarkValve.Watermark"/>.</summary>
    WatermarkAdvanced = 2,
}

/// <summary>
/// Combines the watermarks of a task's input channels into the task's event time (Flink: <c>StatusWatermarkValve</c>):
/// the output watermark is the minimum over channels that are neither idle nor ended, and it never goes back. When
/// every channel that has not ended is idle, the input as a whole is idle (downstream must not wait for it); when every
/// channel ended, event time is complete (<see cref="Api.Time.Watermark.MaxWatermark"/>).
/// </summary>
/// <remarks>
/// Called per watermark, idleness or end message, not per record. No actor inside: the caller forwards what the
/// returned <see cref="ValveOutput"/> says, so results are plain values (no callbacks, no allocation).
/// </remarks>
internal sealed class WatermarkValve
{
    private readonly long[] _watermarks;
    private readonly bool[] _idle;
    private readonly bool[] _ended;
    private int _endedCount;

    public WatermarkValve(int channels)
    {
        _watermarks = new long[channels];
        Array.Fill(_watermarks, Api.Time.Watermark.NoTimestamp);
        _idle = new bool[channels];
        _ended = new bool[channels];
    }

    /// <summary>A valve without channels: the state of a task before it is deployed, and of source tasks.</summary>
    public static WatermarkValve Empty { get; } = new(0);

    /// <summary>The output watermark; <see cref="Api.Time.Watermark.NoTimestamp"/> until every active channel has one.</summary>
    public long Watermark { get; private set; } = Api.Time.Watermark.NoTimestamp;

    /// <summary>Whether the input as a whole is idle, as last reported with <see cref="ValveOutput.IdleChanged"/>.</summary>
    public bool IsIdle { get; private set; }

    /// <summary>The watermark of one channel; a channel's watermark never regresses, and a watermark makes the channel active.</summary>
    public ValveOutput OnWatermark(int channel, long watermark)
    {
        if (watermark > _watermarks[channel]) _watermarks[channel] = watermark;
        _idle[channel] = false;
        return Update();
    }

    /// <summary>The sender of <paramref name="channel"/> turned idle (excluded from the minimum) or active again.</summary>
    public ValveOutput OnIdle(int channel, bool idle)
    {
        _idle[channel] = idle;
        return Update();
    }

    /// <summary><paramref name="channel"/> ended: it no longer holds event time back.</summary>
    public ValveOutput OnEnded(int channel)
    {
        if (!_ended[channel])
        {
            _ended[channel] = true;
            _endedCount++;
        }
        return Update();
    }

    /// <summary>The task's input ended: event time is complete. True when the watermark was not at the maximum yet (it must be emitted).</summary>
    public bool AdvanceToEnd()
    {
        if (Watermark == Api.Time.Watermark.MaxWatermark) return false;
        Watermark = Api.Time.Watermark.MaxWatermark;
        return true;
    }

    private ValveOutput Update()
    {
        var min = long.MaxValue;
        var active = 0;
        for (var i = 0; i < _watermarks.Length; i++)
        {
            if (_ended[i] || _idle[i]) continue;
            active++;
            if (_watermarks[i] < min) min = _watermarks[i];
        }
        var output = ValveOutput.None;
        var allIdle = active == 0 && _endedCount < _watermarks.Length;
        if (allIdle != IsIdle)
        {
            IsIdle = allIdle;
            output = ValveOutput.IdleChanged;
        }
        if (allIdle) return output;
        if (active == 0) min = Api.Time.Watermark.MaxWatermark; // every channel ended
        // An active channel without a watermark yet (NoTimestamp) holds event time back, as in Flink.
        if (min > Watermark && min != Api.Time.Watermark.NoTimestamp)
        {
            Watermark = min;
            output |= ValveOutput.WatermarkAdvanced;
        }
        return output;
    }
}
