import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A request as the fake vendor received it, with its body parsed (JSON or form) where it could be. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** JSON or form-encoded bodies parsed; otherwise undefined. */
  body: unknown;
  /** Route parameters (`:name` segments of the route pattern). */
  params: Record<string, string>;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: unknown;
}

export type FakeRouteHandler = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/**
 * A scripted fault, matched before the routes. `times` faults are served, then the route answers
 * again. `respond` answers with the given response (e.g. 429 with `Retry-After`); `hang` never
 * answers (a timeout for the client); `reset` destroys the socket.
 */
export interface FakeFault {
  /** `METHOD /path/pattern`, or a predicate; default: every request. */
  match?: string | ((request: RecordedRequest) => boolean);
  times?: number;
  respond?: FakeResponse;
  hang?: boolean;
  reset?: boolean;
  /** Serve the fault only with this probability (seeded by `random` of the server options). */
  probability?: number;
}

export interface FakeVendorOptions {
  /** `'METHOD /path/:param'` → handler. Unknown routes answer 404. */
  routes: Record<string, FakeRouteHandler>;
  /** Port to listen on (default a free one), on 127.0.0.1. */
  port?: number;
  /** Random source for probabilistic faults (tests pass a seeded one). */
  random?: () => number;
  /** The answer to a request no route matches, in the vendor's error shape (default: 404 `{ error }`). */
  notFound?: (request: RecordedRequest) => FakeResponse;
}

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: FakeRouteHandler;
}

/** A local fake of a vendor's HTTP API: routes, every request recorded, faults on demand. */
export class FakeVendorServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: CompiledRoute[];
  private readonly faults: (FakeFault & { served: number })[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server?: Server;
  private readonly random: () => number;

  constructor(private readonly options: FakeVendorOptions) {
    this.routes = Object.entries(options.routes).map(([key, handler]) => compileRoute(key, handler));
    this.random = options.random ?? Math.random;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('fake vendor server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Adds a fault; faults are tried in the order added. */
  fault(fault: FakeFault): this {
    this.faults.push({ ...fault, served: 0 });
    return this;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Recorded requests of one route pattern (`'POST /v3/mail/send'`). */
  requestsTo(route: string): RecordedRequest[] {
    const compiled = compileRoute(route, () => ({ status: 200 }));
    return this.requests.filter((request) => matchRoute(compiled, request) !== undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readRequest(req);
    this.requests.push(request);
    const fault = this.pickFault(request);
    if (fault?.hang) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.respond) return send(res, fault.respond);
    for (const route of this.routes) {
      const params = matchRoute(route, request);
      if (params === undefined) continue;
      request.params = params;
      try {
        return send(res, await route.handler(request));
      } catch (error) {
        return send(res, { status: 500, body: { error: error instanceof Error ? error.message : String(error) } });
      }
    }
    send(res, this.options.notFound?.(request) ?? { status: 404, body: { error: `no route for ${request.method} ${request.path}` } });
  }

  private pickFault(request: RecordedRequest): FakeFault | undefined {
    for (const fault of this.faults) {
      if (fault.times !== undefined && fault.served >= fault.times) continue;
      if (!faultMatches(fault, request)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.served += 1;
      return fault;
    }
    return undefined;
  }
}

/** Creates and starts a fake vendor server. */
export async function startFakeVendor(options: FakeVendorOptions): Promise<FakeVendorServer> {
  return new FakeVendorServer(options).start();
}

function compileRoute(key: string, handler: FakeRouteHandler): CompiledRoute {
  const [method, path] = key.trim().split(/\s+/, 2);
  const names: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), names, handler };
}

function matchRoute(route: CompiledRoute, request: RecordedRequest): Record<string, string> | undefined {
  if (route.method !== request.method) return undefined;
  const match = route.pattern.exec(request.path);
  if (!match) return undefined;
  return Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
}

function faultMatches(fault: FakeFault, request: RecordedRequest): boolean {
  if (fault.match === undefined) return true;
  if (typeof fault.match === 'function') return fault.match(request);
  return (
    matchRoute(
      compileRoute(fault.match, () => ({ status: 200 })),
      request,
    ) !== undefined
  );
}

async function readRequest(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let buffer = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') buffer = gunzipSync(buffer);
  const rawBody = buffer.toString('utf8');
  const url = new URL(req.url ?? '/', 'http://fake.local');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    headers: req.headers,
    rawBody,
    body: parseBody(rawBody, String(req.headers['content-type'] ?? '')),
    params: {},
  };
}

function parseBody(raw: string, contentType: string): unknown {
  if (raw === '') return undefined;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      const existing = form[key];
      form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return form;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, response: FakeResponse): void {
  const isJson = response.body !== undefined && typeof response.body !== 'string';
  const payload = response.body === undefined ? '' : isJson ? JSON.stringify(response.body) : String(response.body);
  res.writeHead(response.status, { ...(isJson ? { 'content-type': 'application/json' } : {}), ...response.headers });
  res.end(payload);
}
