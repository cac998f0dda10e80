import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { APP_CONFIG, AppConfig, DatabaseHealthService, Metrics } from '@audiencekit/server-core';

/**
 * The worker's own small HTTP server on WORKER_HEALTH_PORT (0: a free port, printed at start):
 * `/health` (liveness: the event loop answers), `/ready` (the database answers, migrations are
 * applied, and the worker is not shutting down) and `/metrics` (Prometheus, unauthenticated: this
 * port is for the cluster's probes and scraper, not the public). Plain node:http — the worker has
 * no Nest HTTP adapter, and three routes do not need one.
 */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHealthServer.name);
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));
  private shuttingDown = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly databaseHealth: DatabaseHealthService,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Idle keep-alive sockets are closed by the client (probe, scraper) before the server: when the
    // server closes first (Node's default 5 s), a client reusing the socket at that moment gets
    // ECONNRESET — seen as a flaky probe under load.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.WORKER_HEALTH_PORT, this.config.HOST, () => resolve());
    });
    this.logger.log(`health and metrics on ${this.url()}`);
  }

  /** Not ready from the first moment of a shutdown, so no orchestrator waits on this worker. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  url(): string {
    const address = this.server.address() as AddressInfo | null;
    return address ? `http://${this.config.HOST}:${address.port}` : '(not listening)';
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return send(response, 405, { code: 'method_not_allowed', message: 'use GET' });
      if (path === '/health') return send(response, 200, { status: 'ok' });
      if (path === '/ready') return await this.ready(response);
      if (path === '/metrics') {
        const { contentType, body } = await this.metrics.render();
        response.writeHead(200, { 'content-type': contentType }).end(body);
        return;
      }
      send(response, 404, { code: 'not_found', message: `no route ${path}: try /health, /ready or /metrics` });
    } catch (error) {
      send(response, 500, { code: 'internal_error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async ready(response: ServerResponse): Promise<void> {
    if (this.shuttingDown) return send(response, 503, { ready: false, code: 'not_ready', reason: 'shutting down' });
    const readiness = await this.databaseHealth.readiness();
    send(response, readiness.ready ? 200 : 503, readiness.ready ? readiness : { code: 'not_ready', ...readiness });
  }
}

function send(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
