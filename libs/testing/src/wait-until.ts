/**
 * Polls `condition` until it holds: for tests that wait on another process, a queue or a timer.
 *
 * @param timeoutMs how long to keep polling (default 10 s).
 * @param intervalMs the pause between two polls (default 100 ms).
 * @throws Error `condition not met within <timeoutMs> ms` once the deadline has passed.
 * @example await waitUntil(async () => (await statusOf(run.id)) === 'succeeded', 30_000);
 */
export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
