import { INestApplicationContext } from '@nestjs/common';

/**
 * On SIGTERM or SIGINT: run `beforeClose` (the API drains its HTTP server there, before any module
 * hook runs: the listening socket closes at once and in-flight requests finish while the queue and
 * the pool are all still up), then close the application (modules' shutdown hooks drain in-flight
 * work), then exit 0. Nest's own enableShutdownHooks re-raises the signal after closing, which process
 * managers report as a crash; a clean stop should look like one. A second signal, or a close that
 * outlasts `graceMs`, exits at once with 1. `signals`: which ones stop it (an API process under a
 * cluster primary listens to SIGTERM only: a terminal's Ctrl-C reaches the primary, which stops it).
 */
export function exitOnSignal(
  app: INestApplicationContext,
  graceMs: number,
  log: (message: string) => void,
  beforeClose: () => Promise<void> = async () => undefined,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal} received: shutting down`);
    const deadline = setTimeout(() => {
      log(`shutdown took longer than ${graceMs} ms: exiting`);
      process.exit(1);
    }, graceMs);
    deadline.unref();
    beforeClose()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  };
  for (const signal of signals) process.on(signal, stop);
}
