using RecoFlow.Api.Operators;
using RecoFlow.Runtime.Channels;

namespace RecoFlow.Runtime.Execution;

/// <summary>Feeds the records of a batch into the head operator of a task.</summary>
internal interface IInputProcessor
{
    void Process(IDataBatch batch, int inputIndex);
}

internal sealed class OneInputProcessor<T>(IOneInputOperator<T> op) : IInputProcessor
{
    public void Process(IDataBatch batch, int inputIndex)
    {
        var b = (DataBatch<T>)batch;
        var records = b.Records;
        for (var i = 0; i < b.Count; i++) op.ProcessElement(records[i].Value, records[i].Timestamp);
    }
}

internal sealed class TwoInputProcessor<T1, T2>(ITwoInputOperator<T1, T2> op) : IInputProcessor
{
    public void Process(IDataBatch batch, int inputIndex)
    {
        if (inputIndex == 0)
        {
            var b = (DataBatch<T1>)batch;
            for (var i = 0; i < b.Count; i++) op.ProcessElement1(b.Records[i].Value, b.Records[i].Timestamp);
        }
        else
        {
            var b = (DataBatch<T2>)batch;
            for (var i = 0; i < b.Count; i++) op.ProcessElement2(b.Records[i].Value, b.Records[i].Timestamp);
        }
    }
}
