import type { z } from 'zod';
import type { GuardedHttp } from '../http/guarded-http';
import type { EligibleMember, IdentifierKind, RecordOutcome } from './members';
import type { ComputedTraitReference } from './computed-values';

export type ConnectorChannel = 'email' | 'sms' | 'ads' | 'webhook';

/**
 * How a destination holds an audience:
 * - `list`: the vendor keeps a list (SendGrid contacts, Meta and Google audiences): the core sends
 *   adds (`upsert`) and removes (`remove`), diffed against what it last delivered;
 * - `send`: no vendor-side list (SMS, transactional email): the core keeps the list and calls
 *   `send` once per new member.
 */
export type DeliveryModel = 'list' | 'send';

export interface ConnectorLimits {
  /** Most members in one call of `upsert`, `remove` or `send`. */
  maxBatchSize: number;
  /** The vendor's documented request rate; the core's rate limiter keeps under it. */
  maxRequestsPerSecond?: number;
  /** Parallel calls at most (default 1). */
  maxConcurrency?: number;
  /**
   * The vendor drops a member this many days after its last upload unless it is uploaded again
   * (Google Customer Match: 540-day membership): the core re-sends (`upsert`) members whose last
   * delivery is older than this, so they never lapse. Undefined: memberships do not expire.
   */
  refreshMembershipAfterDays?: number;
}

/**
 * A vendor quota several destinations share (Google Ads API: one per Cloud project / OAuth client,
 * whatever the customer account): the core's deployment-wide limiter keeps all their calls together
 * under `maxRequestsPerSecond`, besides each destination's own `limits.maxRequestsPerSecond`.
 */
export interface ConnectorQuota {
  /**
   * Stable identity of the shared quota, e.g. the OAuth client id (which names the Cloud project).
   * The core stores only a SHA-256 of it, prefixed with the connector slug, so it may come from secrets.
   */
  key: string;
  maxRequestsPerSecond: number;
}

/**
 * What the vendor reported back about one request, beside the per-member outcomes (Meta's
 * `num_received` and `num_invalid_entries`): stored per request and summed on the run, for match
 * reconciliation. Report only what the vendor said; leave a field out when it does not say it.
 */
export interface VendorCounts {
  /** Entries the vendor says it received. */
  received?: number;
  /** Entries the vendor says it could not use (invalid format, unmatched hash shape, ...). */
  invalid?: number;
}

/**
 * A request the vendor accepted but has not processed yet (Google Data Manager: an ingest is
 * processed afterwards and may drop members for consent or format): the core stores it with the
 * members it carried and asks `checkRequests` later. Report it with `ctx.reportPendingRequest`.
 */
export interface PendingVendorRequest {
  /** The vendor's id of the request (Google's `requestId`). */
  requestId: string;
  /** The members the request carried (a subset of the call's batch). */
  profileIds: string[];
}

/** A member the vendor dropped after accepting it, with the vendor's reason. */
export interface VendorRequestRejection {
  profileId: string;
  reason: string;
  /** The vendor's code, e.g. `PROCESSING_ERROR_REASON_NO_CONSENT`. */
  code?: string;
}

/**
 * What `checkRequests` learned about one pending request: still processing (ask again later), or
 * processed — with the members the vendor dropped, and how many it dropped without saying which
 * (`unattributed`: the core records a warning on the run, the members stay delivered).
 */
export type VendorRequestCheck =
  | { requestId: string; state: 'processing' }
  | {
      requestId: string;
      state: 'processed';
      rejected: VendorRequestRejection[];
      unattributed?: { count: number; reason: string };
    };

/** Messages of a send-mode activation, as the marketer wrote them; `{{trait}}` placeholders. */
export interface MessageTemplate {
  subject?: string;
  text?: string;
  html?: string;
  /** A vendor-side template (e.g. SendGrid dynamic template id); traits become its data. */
  templateId?: string;
  /**
   * Computed and SQL trait keys a vendor-side template uses (its data gets `computed: { key: value }`);
   * `{{computed.<key>}}` placeholders of subject, text and html need no entry here.
   */
  computedKeys?: string[];
  [key: string]: unknown;
}

/** Logging for plugins; the core redacts the destination's secret values from everything logged. */
export interface ConnectorLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface ConnectorContext<Settings, Secrets> {
  readonly settings: Settings;
  readonly secrets: Secrets;
  /**
   * Where the vendor's API is. Undefined means the vendor's public host; the core sets it from the
   * server config (`AK_CONNECTOR_BASE_URLS`) so staging and tests point a real SDK at a fake vendor.
   */
  readonly baseUrl?: string;
  /** The vendor-side audience of this activation, once `ensureAudience` has answered. */
  readonly audience?: { externalId: string };
  /** Stable across retries and resumes of the same batch: send it where the vendor takes one. */
  readonly idempotencyKey: string;
  /** Aborted when the core's per-call timeout fires; pass it to the HTTP client. */
  readonly signal: AbortSignal;
  readonly logger: ConnectorLogger;
  /**
   * The only way out to the network: a guarded axios instance (`http.client`) and agents for vendor
   * SDKs (`http.httpAgent`, `http.httpsAgent`). The core builds it (`createGuardedHttp`), trusting
   * the host of `baseUrl` and the operator's allow-list; any other private address is refused.
   */
  readonly http: GuardedHttp;
  /**
   * Optional (absent in older cores and test kits: call it as `ctx.reportVendorCounts?.(...)`): what
   * the vendor reported back about this request (`VendorCounts`). The last report of a call wins.
   */
  readonly reportVendorCounts?: (counts: VendorCounts) => void;
  /**
   * Optional (absent in older cores and test kits: call it as `ctx.reportPendingRequest?.(...)`): the
   * call left a request the vendor has not processed yet; the core checks it later through
   * `checkRequests` (first after AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES) and turns members the vendor
   * dropped into rejections. Its members' outcomes in this call are `delivered` (the vendor took them).
   */
  readonly reportPendingRequest?: (request: PendingVendorRequest) => void;
  /**
   * Where the vendor can post this destination's callbacks (delivery states, replies) to our API:
   * `<AK_PUBLIC_BASE_URL>/v1/vendor-events/<slug>/<destination id>`. Undefined when the operator
   * has not configured a public base URL.
   */
  readonly callbackUrl?: string;
}

export interface AudienceInput {
  /** Human name for the vendor-side list, e.g. "audiencekit: Cart abandoners". */
  name: string;
  /** Our activation id: the idempotent key of get-or-create. */
  activationId: string;
}

/** One batch of a full replace (`replace`): the vendor swaps the audience for all batches' members once it has the last. */
export interface ReplaceBatch {
  members: readonly EligibleMember[];
  /** 1, 2, 3, ... in the order the core sends them; the same when a batch is retried or replayed after a crash. */
  sequence: number;
  /** This is the last batch of the replace. */
  last: boolean;
  /** How many members the whole replace is expected to send (an estimate: the segment's size). */
  estimatedTotal: number;
  /** The same for every batch of one replace (the sync run id), also across resumes: derive the vendor's session id from it. */
  replaceKey: string;
}

/**
 * A connector: one typed object, declared once, translated by the core into forms, limits and calls.
 * Plugins translate; batching, rate limits, retries, diffing and bookkeeping live in the core.
 * Errors across the boundary are the closed set in `connector-errors.ts`.
 */
export interface ConnectorDefinition<Settings = unknown, Secrets = unknown> {
  /** Stable, stored in the database: `sendgrid`, `twilio`, ... */
  slug: string;
  displayName: string;
  channel: ConnectorChannel;
  deliveryModel: DeliveryModel;
  /** The source of truth for settings (validated on save; served as JSON Schema for forms). */
  settings: z.ZodType<Settings>;
  /** Encrypted at rest, never logged, never returned by the API. */
  secrets: z.ZodType<Secrets>;
  /** A member needs at least one of these; members with none are counted as invalid, not sent. */
  requiredIdentifiers: IdentifierKind[];
  /** The vendor's limits; with `limitsFor`, the default (and the one shown before settings exist). */
  limits: ConnectorLimits;
  /**
   * Limits that depend on the destination's settings (an SMS sender's throughput depends on its
   * sender type). Optional: when present the core uses `limitsFor(settings)` for batch size, rate
   * and concurrency of that destination instead of `limits`. Must be pure and cheap (called once
   * per run with the parsed settings).
   */
  limitsFor?(settings: Settings): ConnectorLimits;
  /**
   * A quota the destination shares with other destinations of this connector (optional): the core
   * enforces it for the whole deployment, across worker processes, together with the destination's
   * own rate. Undefined (or no method): the destination's own limit is all there is. Pure and cheap;
   * called once per run with the parsed settings and secrets.
   */
  quota?(settings: Settings, secrets: Secrets): ConnectorQuota | undefined;
  /**
   * Computed and SQL traits the settings send (optional; issue #20), e.g. custom fields mapped from
   * `computed.<key>`: the core loads those values into `member.computed` and refuses an unknown
   * key at save with a 400 naming `settings.<path>`. Pure and cheap.
   */
  computedTraitRefs?(settings: Settings): ComputedTraitReference[];

  /** Check credentials (and settings) against the vendor; throw `InvalidCredentialsError` if refused. */
  testConnection(ctx: Omit<ConnectorContext<Settings, Secrets>, 'audience'>): Promise<void>;
  /** Idempotent get-or-create of the vendor-side list (list model). */
  ensureAudience?(ctx: Omit<ConnectorContext<Settings, Secrets>, 'audience'>, input: AudienceInput): Promise<{ externalId: string }>;
  /** Add (or update) members of the vendor-side list. */
  upsert?(ctx: ConnectorContext<Settings, Secrets>, members: readonly EligibleMember[]): Promise<RecordOutcome[]>;
  /** Remove members from the vendor-side list, where the vendor supports it. */
  remove?(ctx: ConnectorContext<Settings, Secrets>, members: readonly EligibleMember[]): Promise<RecordOutcome[]>;
  /**
   * Replace the whole vendor-side list with the members of the batches (list model, optional): used
   * by a full resync (`requestSync(..., { fullResync: true })`), e.g. Meta's `usersreplace` session.
   * Members the core does not send are dropped by the vendor when the last batch arrives.
   */
  replace?(ctx: ConnectorContext<Settings, Secrets>, batch: ReplaceBatch): Promise<RecordOutcome[]>;
  /** Send one message to each member (send model). */
  send?(
    ctx: ConnectorContext<Settings, Secrets>,
    batch: { members: readonly EligibleMember[]; message: MessageTemplate },
  ): Promise<RecordOutcome[]>;
  /** The vendor's own count of the audience (size or match count), where it reports one. */
  audienceSize?(ctx: ConnectorContext<Settings, Secrets>): Promise<number | undefined>;
  /**
   * Days after which a member must be uploaded again, read from the vendor-side list at run time
   * (a Google user list's own `membershipDuration`); optional. When present the core calls it before
   * delivery and it replaces `limits.refreshMembershipAfterDays` for that run; a failure keeps the
   * static limit (a warning on the run).
   */
  membershipRefreshDays?(ctx: ConnectorContext<Settings, Secrets>): Promise<number | undefined>;
  /**
   * Asks the vendor how requests it accepted earlier ended (optional; pairs with
   * `ctx.reportPendingRequest`): one answer per request, in any order; a request left out counts as
   * still processing. Called by the worker's periodic pass outside any run, with the same guarded
   * runtime as a sync; errors of the closed set (a retryable one: asked again with backoff).
   */
  checkRequests?(
    ctx: Omit<ConnectorContext<Settings, Secrets>, 'audience'>,
    requests: readonly PendingVendorRequest[],
  ): Promise<VendorRequestCheck[]>;
}

/** Identity function that pins the generic types of a definition (and reads well at the top of a plugin). */
export function defineConnector<Settings, Secrets>(
  definition: ConnectorDefinition<Settings, Secrets>,
): ConnectorDefinition<Settings, Secrets> {
  return definition;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnectorDefinition = ConnectorDefinition<any, any>;
