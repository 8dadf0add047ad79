using RecoFlow.Cli;

return await CliApp.RunAsync(args);
