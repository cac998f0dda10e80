import cluster, { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

// Our own message types on the cluster's IPC channel (prom-client uses its own for the gathering).
const REQUEST = 'audiencekit:cluster-metrics-request';
const RESPONSE = 'audiencekit:cluster-metrics-response';
const TIMEOUT_MS = 10_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsResponse {
  type: typeof RESPONSE;
  id: number;
  body?: string;
  error?: string;
}

/**
 * Whether this process is one of several API processes behind one port (API_PROCESSES > 1). A
 * scrape reaches one of them at random, so its /metrics must speak for all of them.
 */
export function inClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/**
 * In a cluster worker: makes `registry` the one prom-client's cluster support reads when the
 * primary gathers, and lets prom-client answer those requests.
 */
export function shareRegistryWithCluster(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener that answers the primary's gathering.
  new AggregatorRegistry();
}

let nextRequest = 0;

/**
 * In a cluster worker: the metrics of every API process, summed by prom-client's
 * AggregatorRegistry in the primary (counters and histograms add up; gauges follow their
 * `aggregator`). Rejects when the primary does not answer in time.
 */
export function clusterMetrics(): Promise<string> {
  const id = ++nextRequest;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('the primary did not gather the metrics in time')), TIMEOUT_MS);
    const onMessage = (message: MetricsResponse) => {
      if (message?.type !== RESPONSE || message.id !== id) return;
      finish(message.error ? new Error(message.error) : undefined, message.body ?? '');
    };
    const finish = (error?: Error, body?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (error) reject(error);
      else resolve(body ?? '');
    };
    process.on('message', onMessage);
    process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
  });
}

/** In the primary: answers the workers' requests for the cluster's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: MetricsRequest) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: RESPONSE, id: message.id, body } satisfies MetricsResponse),
      (error: unknown) =>
        worker.send({
          type: RESPONSE,
          id: message.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies MetricsResponse),
    );
  });
}
