// Console redirection in CLI tests is process-wide: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
