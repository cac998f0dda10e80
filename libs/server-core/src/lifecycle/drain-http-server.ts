import type { Server } from 'node:http';

/**
 * Stops an HTTP server the graceful way: no new connections (the listening socket closes at once,
 * so a new client gets ECONNREFUSED and a load balancer moves on), requests already in flight run
 * to their response, and kept-alive sockets are closed as soon as they fall idle (a request that
 * arrives on one meanwhile is answered with `Connection: close`). Resolves when the last connection
 * has ended. The caller bounds the wait (exitOnSignal's SHUTDOWN_GRACE_MS).
 */
export function drainHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.on('request', (_request, response) => {
      if (!response.headersSent) response.setHeader('connection', 'close');
    });
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    idle.unref();
    server.close(() => {
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}
