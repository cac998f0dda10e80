import { z } from 'zod';
import { SecretBox } from '../secrets/secret-box';

const booleanFromEnv = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const API_PROCESSES_RULE = 'must be a whole number from 1 to 64, or auto';

/** Every environment variable the API and the worker read, with defaults. */
export const configSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required (npm start provides an embedded Postgres when it is not set)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Connections of the separate pool that previews, overlap, choose-k and other interactive
   * analytics use, so they can never take tracking's or the worker's connections (default:
   * max(2, DB_POOL_SIZE / 3); `analyticsPoolSize()`).
   */
  DB_ANALYTICS_POOL_SIZE: z.coerce.number().int().min(1).max(200).optional(),
  /** Longest an interactive analytics statement may run (Postgres statement_timeout); over it: 422 `analytics_timeout`. */
  ANALYTICS_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Longest a request body may take to arrive once its key is accepted; slower: 408 `body_timeout`. */
  AK_BODY_READ_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /**
   * API processes sharing the port (node:cluster): a number, or `auto` for one per core. Each has
   * its own DB_POOL_SIZE connections. The worker app ignores it (scale workers by running more).
   */
  API_PROCESSES: z
    .string()
    .regex(/^(auto|[1-9]\d?)$/, API_PROCESSES_RULE)
    .transform((value) => (value === 'auto' ? ('auto' as const) : Number(value)))
    .refine((value) => value === 'auto' || value <= 64, API_PROCESSES_RULE)
    .default(1),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  /** How often each worker looks for segments whose cadence is due. */
  SCHEDULER_TICK_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Key ring of the destinations' secret box: `id:base64key,...` (the first key encrypts, every
   * key decrypts). Optional: without it, destinations whose connector has secrets are refused
   * (503 `secrets_key_missing`). `npm start` generates one into AK_DATA_DIR on first start.
   */
  AK_SECRETS_KEYS: z
    .string()
    .superRefine((value, context) => {
      const problem = keyRingProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Mass-send guard: a send-mode sync above this many messages waits for a marketer's confirmation. */
  AK_MASS_SEND_THRESHOLD: z.coerce.number().int().min(0).default(10_000),
  /** ...or more than this many percent above its last run's sent count. */
  AK_MASS_SEND_GROWTH_PCT: z.coerce.number().min(0).default(50),
  /** ...counting growth only from this many messages (a send of 3 after 1 needs no one's confirmation). */
  AK_MASS_SEND_GROWTH_MIN: z.coerce.number().int().min(0).default(100),
  /**
   * Mass-removal gate: a mirror sync that would remove more than this share (0..1) of what the
   * destination holds waits for a marketer's confirmation...
   */
  AK_MASS_REMOVAL_SHARE: z.coerce.number().min(0).max(1).default(0.2),
  /** ...when it removes at least this many members (a list of 10 losing 3 needs no one's confirmation). */
  AK_MASS_REMOVAL_MIN: z.coerce.number().int().min(0).default(100),
  /**
   * Requests a vendor accepted but had not processed when the sync call answered (Google Data
   * Manager: its Diagnostics page advises a first RetrieveRequestStatus 30 minutes after an ingest):
   * the worker first checks them this many minutes after the run delivered them, then with doubling
   * waits (at most 6 hours apart)...
   */
  AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES: z.coerce.number().int().min(1).max(1_440).default(30),
  /** ...and gives up after this many checks (a `vendor_request_unconfirmed` warning on the run; the members stay delivered). */
  AK_VENDOR_REQUEST_MAX_CHECKS: z.coerce.number().int().min(1).max(50).default(8),
  /**
   * Operator notifications (failed refreshes and syncs, held runs, size swings): an http(s) URL the
   * worker POSTs each notification to as JSON, through the guarded outbound client (a private or
   * loopback host needs AK_OUTBOUND_ALLOWED_HOSTS). Unset: notifications are recorded, not sent.
   */
  AK_NOTIFY_WEBHOOK_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
    .optional(),
  /** Signs each notification: header `X-AudienceKit-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
  AK_NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How often each worker sends the notifications due. */
  AK_NOTIFY_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** A notification not delivered within this many hours is given up (status `expired`). */
  AK_NOTIFY_MAX_AGE_HOURS: z.coerce.number().min(0.01).max(720).default(24),
  /** Real-time (`on_change`) send activations: messages per activation per hour above which deliveries wait for a confirmation. */
  AK_REALTIME_SENDS_PER_HOUR: z.coerce.number().int().min(0).default(1_000),
  /**
   * Days of the frequency caps' send ledger kept (1–3650): the worker prunes rows older than this
   * and than the longest cap window (+1 h), so a cap created later sees this much history.
   */
  AK_SEND_LEDGER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  /** How often each worker flushes the changes pending for `on_change` activations into sync runs. */
  AK_REALTIME_FLUSH_MS: z.coerce.number().int().min(20).max(60_000).default(250),
  /** Admin API requests per minute per API key (token bucket, per process); 0 turns the limit off. */
  AK_ADMIN_RATE_LIMIT: z.coerce.number().int().min(0).default(600),
  /** Requests a key may make at once before the per-minute rate applies (bucket size; default: a whole minute's worth). */
  AK_ADMIN_RATE_BURST: z.coerce.number().int().min(1).default(600),
  /**
   * Real-time audiences: ingestion hands every touched profile to the worker's real-time evaluator
   * in the transaction that stores its events, and the worker evaluates. `false` turns both off
   * (real-time segments then move only at their reconciliation refresh).
   */
  AK_REALTIME: booleanFromEnv.default(true),
  /**
   * What the tracking API stores of an event's `context.ip` once its location is derived from it
   * (libs/ingestion `ContextEnricher`): `keep` it, `truncate` it (IPv4 /24, IPv6 /48; the default:
   * the full address points at a household, its network still places the event) or `drop` it.
   */
  AK_IP_RETENTION: z.enum(['keep', 'truncate', 'drop'], { error: 'must be keep, truncate or drop' }).default('truncate'),
  /** Profiles one real-time evaluation transaction takes (a burst on one profile is one of them). */
  AK_REALTIME_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(250),
  /** Evaluation loops per worker process (each holds one database connection while it works). */
  AK_REALTIME_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /**
   * Days of a profile's history real-time evaluation reads. Unset: all of it. Set it when profiles
   * have long histories: real-time definitions may then not use windows longer than it, `ever`, or
   * recency (400 naming the window), because their answer would need events it does not read.
   */
  AK_REALTIME_HISTORY_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /**
   * Largest cluster fit or k choice the API queues: restarts × number of k tried × rows (a create or
   * refit tries one k). Above it: 400 `fit_work_over_cap` naming the field and this cap. The default
   * lets k = 2..20 with 50 restarts run on about 21,000 profiles (the worker fits; the API never does).
   */
  AK_FIT_WORK_CAP: z.coerce.number().int().min(1).default(20_000_000),
  /** Largest propensity fit the API queues: rows × features × 100 (the trainer's most Newton iterations). */
  AK_PROPENSITY_WORK_CAP: z.coerce.number().int().min(1).default(3_000_000_000),
  /** statement_timeout of an admin's SQL trait query (each statement), in ms (libs/sql-traits). */
  AK_SQL_TRAITS_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Rows a SQL trait's query may return; more refuse the run with a 400 (all are held in memory). */
  AK_SQL_TRAITS_ROW_CAP: z.coerce.number().int().min(1).max(5_000_000).default(500_000),
  /**
   * The public URL vendors reach this API at (`https://audiencekit.example.com`, no trailing slash):
   * the Twilio status callback the connector sends points at it, and Twilio's signature covers the
   * URL Twilio called, which behind a proxy is not the one this process sees (libs/vendor-events).
   * A host with an underscore is refused here: Twilio refuses such a StatusCallback (error 21609),
   * so every SMS send would fail.
   */
  AK_PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .refine((value) => !new URL(value).hostname.includes('_'), {
      message: 'has an underscore in its host name, which Twilio refuses in a status callback URL (error 21609)',
    })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  /** Seconds a SendGrid Event Webhook signature's timestamp may be off the clock (replays refused). */
  AK_VENDOR_EVENTS_TOLERANCE_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
  /** Where each connector's vendor API is, `slug=url,...` (tests and staging point them at fakes). */
  AK_CONNECTOR_BASE_URLS: z
    .string()
    .transform((value, context) => parseBaseUrls(value, context))
    .default({}),
});

export type AppConfig = z.infer<typeof configSchema>;

/** DB_ANALYTICS_POOL_SIZE, or a third of DB_POOL_SIZE (at least 2). */
export function analyticsPoolSize(config: Pick<AppConfig, 'DB_POOL_SIZE' | 'DB_ANALYTICS_POOL_SIZE'>): number {
  return config.DB_ANALYTICS_POOL_SIZE ?? Math.max(2, Math.floor(config.DB_POOL_SIZE / 3));
}

function keyRingProblem(value: string): string | undefined {
  try {
    new SecretBox(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `sendgrid=http://127.0.0.1:4010,twilio=http://...` → `{ sendgrid: '...', twilio: '...' }`. */
function parseBaseUrls(value: string, context: z.RefinementCtx): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = entry.indexOf('=');
    const slug = entry.slice(0, separator).trim();
    const url = entry.slice(separator + 1).trim();
    if (separator <= 0 || !/^https?:\/\/\S+$/.test(url)) {
      context.addIssue({ code: 'custom', message: `entry "${entry}" must be "<connector slug>=<http(s) URL>"` });
      continue;
    }
    urls[slug] = url.replace(/\/+$/, '');
  }
  return urls;
}
