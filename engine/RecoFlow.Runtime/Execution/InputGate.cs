using RecoFlow.Runtime.Channels;

namespace RecoFlow.Runtime.Execution;

/// <summary>
/// The input side of one task (Flink: <c>SingleInputGate</c> with its <c>RemoteInputChannel</c>s, plus the blocking
/// part of <c>CheckpointedInputGate</c>): per input channel the next expected sequence number, whether the channel
/// ended, whether it is blocked by barrier alignment, and how many data batches it delivered and got credit back for.
/// It also holds the two queues of messages the task received but did not process yet: <em>queued</em> ones (the
/// task's output is backpressured, or older messages are still waiting) and <em>held</em> ones (their channel is
/// blocked until the barrier being aligned arrived everywhere).
/// </summary>
/// <remarks>
/// A plain class with no actor inside, so it can be driven directly by tests; the task actor owns one per deployment.
/// Messages arrive through the actor's mailbox rather than being pulled from network buffers as in Flink, so "blocked"
/// here means "park the channel's messages in the held queue" instead of "do not poll the channel".
/// </remarks>
internal sealed class InputGate
{
    private readonly ChannelSource[] _sources;
    private readonly long[] _expectedSeq;
    private readonly bool[] _ended;
    private readonly bool[] _blocked;
    private readonly long[] _batchesReceived;
    private readonly long[] _creditsGranted;
    private readonly int[] _unannounced;
    private readonly int _announceEvery;
    private Queue<ChannelMessage> _queued = new();
    private Queue<ChannelMessage> _held = new();
    private int _endedCount;

    /// <param name="sources">Where each input channel comes from.</param>
    /// <param name="announceEvery">How many processed batches' credits a channel gathers before they go back to the
    /// sender in one message (at once, whatever their number, after a batch that was the sender's last credit).</param>
    public InputGate(IReadOnlyList<ChannelSource> sources, int announceEvery = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(announceEvery, 1);
        _announceEvery = announceEvery;
        _sources = [.. sources];
        var n = _sources.Length;
        _expectedSeq = new long[n];
        Array.Fill(_expectedSeq, 1L); // writers number each channel's messages from 1
        _ended = new bool[n];
        _blocked = new bool[n];
        _batchesReceived = new long[n];
        _creditsGranted = new long[n];
        _unannounced = new int[n];
    }

    /// <summary>
    /// The credits to announce per channel for a sender with <paramref name="channelCredits"/> credits: half of them,
    /// so the sender still holds the other half while an announcement travels.
    /// </summary>
    public static int AnnounceEvery(int channelCredits) => Math.Max(1, channelCredits / 2);

    /// <summary>A gate without channels: the state of a task before it is deployed, and of source tasks.</summary>
    public static InputGate Empty { get; } = new([]);

    public int ChannelCount => _sources.Length;

    /// <summary>Where channel <paramref name="channel"/> comes from (to return credit to).</summary>
    public ChannelSource Source(int channel) => _sources[channel];

    /// <summary>
    /// Checks that <paramref name="message"/> is the next one of its channel and counts it. A gap or a repeat means a
    /// channel message was lost or reordered (exactly-once would be broken); the gate then stays where it was and
    /// returns false, and the task fails (it reports the expected number from <see cref="ExpectedSeq"/>). Flink detects
    /// the same with buffer sequence numbers in <c>RemoteInputChannel.onBuffer</c>.
    /// </summary>
    public bool Accept(ChannelMessage message)
    {
        var ch = message.Channel;
        if (message.Seq != _expectedSeq[ch]) return false;
        _expectedSeq[ch]++;
        if (message is IDataBatch) _batchesReceived[ch]++;
        return true;
    }

    /// <summary>The sequence number the next message of <paramref name="channel"/> must carry.</summary>
    public long ExpectedSeq(int channel) => _expectedSeq[channel];

    /// <summary>
    /// A data batch of <paramref name="channel"/> was processed: it earns its sender one credit. Credit is earned only
    /// by processed batches (not by queued or held ones), which is what makes backpressure reach the sender. Returns
    /// the credits to announce to the sender now (<see cref="Source"/>): 0 while fewer than the gate's announcement
    /// size have gathered, unless <paramref name="lastCredit"/> (the sender spent its last credit on this batch, so it
    /// may be waiting for them).
    /// </summary>
    public int GrantCredit(int channel, bool lastCredit)
    {
        _creditsGranted[channel]++;
        var gathered = ++_unannounced[channel];
        if (gathered < _announceEvery && !lastCredit) return 0;
        _unannounced[channel] = 0;
        return gathered;
    }

    /// <summary>Credits earned so far by the processed batches of <paramref name="channel"/>, announced or not.</summary>
    public long CreditsGranted(int channel) => _creditsGranted[channel];

    /// <summary>Credits earned on <paramref name="channel"/> and not announced to its sender yet (always fewer than the announcement size).</summary>
    public int UnannouncedCredits(int channel) => _unannounced[channel];

    /// <summary>Data batches received on <paramref name="channel"/> that earned no credit yet (queued, held or being processed).
    /// Never more than the sender's initial credits (Flink: the exclusive buffers of a channel).</summary>
    public long OutstandingBatches(int channel) => _batchesReceived[channel] - _creditsGranted[channel];

    // ---- end of partition ----

    public bool IsEnded(int channel) => _ended[channel];

    public int EndedCount => _endedCount;

    /// <summary>Every channel ended (false for a gate without channels, which never receives an end).</summary>
    public bool AllEnded => _endedCount == _sources.Length && _sources.Length > 0;

    /// <summary>Marks <paramref name="channel"/> ended; a repeated end counts once.</summary>
    public void MarkEnded(int channel)
    {
        if (_ended[channel]) return;
        _ended[channel] = true;
        _endedCount++;
    }

    // ---- queued input (backpressure) ----

    public bool HasQueued => _queued.Count > 0;

    public int QueuedCount => _queued.Count;

    public void Enqueue(ChannelMessage message) => _queued.Enqueue(message);

    public bool TryDequeue(out ChannelMessage message) => _queued.TryDequeue(out message!);

    // ---- blocking by barrier alignment ----

    /// <summary>True while <paramref name="channel"/> delivered the barrier being aligned: its messages must wait (be held).</summary>
    public bool IsBlocked(int channel) => _blocked[channel];

    public int HeldCount => _held.Count;

    /// <summary>Blocks <paramref name="channel"/> (Flink: <c>CheckpointedInputGate.blockConsumption</c>).</summary>
    public void Block(int channel) => _blocked[channel] = true;

    /// <summary>Parks a message of a blocked channel until <see cref="ResumeConsumption"/>.</summary>
    public void Hold(ChannelMessage message) => _held.Enqueue(message);

    /// <summary>
    /// Unblocks every channel and puts the held messages in front of the queued ones, both in arrival order (Flink:
    /// <c>resumeConsumption</c>). Held messages arrived before the queued ones were processed, so they go first.
    /// Returns true when messages were released: the caller must make sure the queue gets drained.
    /// </summary>
    public bool ResumeConsumption()
    {
        Array.Clear(_blocked);
        if (_held.Count == 0) return false;
        while (_queued.Count > 0) _held.Enqueue(_queued.Dequeue());
        (_queued, _held) = (_held, _queued);
        return true;
    }
}
