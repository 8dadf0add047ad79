using RecoFlow.Api.Time;
using RecoFlow.Runtime.Execution;

namespace RecoFlow.Tests.Runtime;

/// <summary>The task's watermark valve on its own, in the style of Flink's StatusWatermarkValveTest.</summary>
public sealed class WatermarkValveTests
{
    [Fact]
    public void Output_is_the_minimum_over_channels_once_every_channel_has_a_watermark()
    {
        var valve = new WatermarkValve(3);
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 10));
        Assert.Equal(ValveOutput.None, valve.OnWatermark(1, 5)); // channel 2 has none yet: it holds event time back
        Assert.Equal(Watermark.NoTimestamp, valve.Watermark);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(2, 7));
        Assert.Equal(5, valve.Watermark);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(1, 12));
        Assert.Equal(7, valve.Watermark);
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 11)); // not the minimum channel: nothing changes
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(2, 20));
        Assert.Equal(11, valve.Watermark);
    }

    [Fact]
    public void Neither_a_channel_nor_the_output_goes_back()
    {
        var valve = new WatermarkValve(2);
        valve.OnWatermark(0, 10);
        valve.OnWatermark(1, 5);
        Assert.Equal(5, valve.Watermark);
        // A late, lower watermark does not lower channel 0: once channel 1 passes it, the output is channel 0's 10, not 3.
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 3));
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(1, 20));
        Assert.Equal(10, valve.Watermark);
        // Channel 0 idle: the output jumps to channel 1's 20. Back with 15 (< 20), the output stays at 20.
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnIdle(0, true));
        Assert.Equal(20, valve.Watermark);
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 15));
        Assert.Equal(20, valve.Watermark);
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 40)); // the minimum is channel 1's 20: no change
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(1, 35));
        Assert.Equal(35, valve.Watermark);
    }

    [Fact]
    public void An_idle_channel_is_excluded_and_holds_back_again_once_active()
    {
        var valve = new WatermarkValve(2);
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 10));
        // Channel 1 never sent a watermark; once idle it no longer holds channel 0 back.
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnIdle(1, true));
        Assert.Equal(10, valve.Watermark);
        Assert.False(valve.IsIdle); // channel 0 is active: the input is not idle
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(0, 50));
        Assert.Equal(50, valve.Watermark);
        // Active again without a watermark: it holds event time back again.
        Assert.Equal(ValveOutput.None, valve.OnIdle(1, false));
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 60));
        Assert.Equal(50, valve.Watermark);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(1, 55));
        Assert.Equal(55, valve.Watermark);
    }

    [Fact]
    public void A_watermark_reactivates_an_idle_channel()
    {
        var valve = new WatermarkValve(2);
        valve.OnWatermark(0, 10);
        valve.OnWatermark(1, 10);
        valve.OnIdle(1, true);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(0, 100));
        Assert.Equal(100, valve.Watermark);
        // Channel 1 speaks again (its watermark 20 < 100 makes it the minimum but cannot lower the output) ...
        Assert.Equal(ValveOutput.None, valve.OnWatermark(1, 20));
        // ... so channel 0 advancing no longer moves the output: channel 1 counts again.
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 200));
        Assert.Equal(100, valve.Watermark);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnWatermark(1, 150));
        Assert.Equal(150, valve.Watermark);
    }

    [Fact]
    public void All_channels_idle_make_the_input_idle_without_a_watermark_until_one_is_active()
    {
        var valve = new WatermarkValve(2);
        valve.OnWatermark(0, 10);
        valve.OnWatermark(1, 20);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnIdle(0, true)); // 20
        Assert.Equal(ValveOutput.IdleChanged, valve.OnIdle(1, true));
        Assert.True(valve.IsIdle);
        Assert.Equal(20, valve.Watermark); // all idle: no watermark is made up
        Assert.Equal(ValveOutput.None, valve.OnIdle(0, true)); // still idle: reported once
        // One channel back with a watermark: the input turns active (reported first) and its watermark advances the output.
        Assert.Equal(ValveOutput.IdleChanged | ValveOutput.WatermarkAdvanced, valve.OnWatermark(0, 30));
        Assert.False(valve.IsIdle);
        Assert.Equal(30, valve.Watermark);
    }

    [Fact]
    public void Ended_channels_are_excluded_and_when_all_ended_event_time_is_complete()
    {
        var valve = new WatermarkValve(3);
        valve.OnWatermark(0, 10);
        valve.OnWatermark(1, 20);
        valve.OnWatermark(2, 30);
        Assert.Equal(ValveOutput.WatermarkAdvanced, valve.OnEnded(0));
        Assert.Equal(20, valve.Watermark);
        Assert.Equal(ValveOutput.None, valve.OnEnded(0)); // a repeated end changes nothing
        // The other channels idle with one ended: the input is idle (it has not ended).
        valve.OnIdle(1, true);
        Assert.Equal(ValveOutput.IdleChanged, valve.OnIdle(2, true));
        Assert.True(valve.IsIdle);
        valve.OnEnded(1);
        // The last channel ends: no longer idle, and event time is complete.
        Assert.Equal(ValveOutput.IdleChanged | ValveOutput.WatermarkAdvanced, valve.OnEnded(2));
        Assert.False(valve.IsIdle);
        Assert.Equal(Watermark.MaxWatermark, valve.Watermark);
        Assert.False(valve.AdvanceToEnd()); // already at the end: the task must not emit it twice
    }

    [Fact]
    public void Advance_to_end_emits_the_maximum_once()
    {
        var valve = new WatermarkValve(1);
        valve.OnWatermark(0, 10);
        Assert.True(valve.AdvanceToEnd());
        Assert.Equal(Watermark.MaxWatermark, valve.Watermark);
        Assert.False(valve.AdvanceToEnd());
        Assert.Equal(ValveOutput.None, valve.OnWatermark(0, 20)); // nothing goes past the end
        Assert.True(new WatermarkValve(0).AdvanceToEnd()); // a task without inputs still completes event time
    }
}
