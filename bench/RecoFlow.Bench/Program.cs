using RecoFlow.Bench;

return await BenchApp.RunAsync(args);
