// The cluster tests start real node processes: one class at a time, so two clusters never compete for the 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
