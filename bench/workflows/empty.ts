// The yardstick for intake throughput: a workflow that does nothing, so its rate is what the server and one
// worker can start and finish at best.
export async function emptyWorkflow(): Promise<void> {}
