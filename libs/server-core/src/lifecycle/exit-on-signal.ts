import { INestApplicationContext } from '@nestjs/common';

/**
 * On SIGTERM or SIGINT: close the application (modules' shutdown hooks drain in-flight work),
 * then exit 0. Nest's own enableShutdownHooks re-raises the signal after closing, which process
 * managers report as a crash; a clean stop should look like one. A second signal, or a close that
 * outlasts `graceMs`, exits at once with 1.
 */
export function exitOnSignal(app: INestApplicationContext, graceMs: number, log: (message: string) => void): void {
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
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
