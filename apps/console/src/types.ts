// Shapes of the admin API's answers that the console reads (see /openapi.json).
export interface Page<T> {
  items: T[];
  total: number;
}

export interface Kpi {
  event: string;
  windowDays: number;
  valueProperty?: string | null;
}

export interface Segment {
  id: string;
  key: string;
  name: string;
  description: string;
  owner: string;
  refreshCadence: string;
  kpi: Kpi | null;
  status: string;
  qualityThresholds: { minSize: number; maxChurn: number };
  version: number;
  definition: Definition;
  createdAt: string;
  updatedAt: string;
}

export type Definition = { type: string; [field: string]: unknown };

export interface SegmentVersion {
  version: number;
  definition: Definition;
  model: StoredModel | null;
  createdBy: string | null;
  createdAt: string;
}

export interface SegmentRun {
  id: string;
  version: number;
  status: string;
  trigger: string;
  queuedAt: string;
  finishedAt: string | null;
  size: number | null;
  adds: number | null;
  removes: number | null;
  durationMs: number | null;
  quality: { empty?: boolean; notSubstantial?: boolean; unstable?: boolean; churn?: number | null } | null;
  error: string | null;
}

export interface StoredClusterModel {
  kind: 'cluster';
  fittedAt: string;
  profiles: number;
  silhouette: { score: number; exact: boolean; sampleSize: number };
  stability?: { meanAdjustedRandIndex?: number } | null;
  clusters: {
    cluster: number;
    size: number;
    share: number;
    description: string;
    features: { feature: string; mean: number; populationMean: number; standardisedDifference: number }[];
  }[];
  notes: string[];
}

export interface StoredPropensityModel {
  kind: 'propensity';
  fittedAt: string;
  /** Features as of the cutoff, outcome in the window after it. */
  cutoff?: string;
  profiles: number;
  positives: number;
  heldOutAuc: number;
  trainAuc: number;
  tierCounts: Record<'top' | 'middle' | 'bottom', number>;
  calibration: {
    bins: { bin: number; count: number; meanPredicted: number; observedRate: number }[];
    brierScore: number;
    expectedCalibrationError: number;
  };
  weights: { feature: string; standardised: number; oddsRatioPerStd: number }[];
  notes: string[];
}

/** A lifetime-value segment's model (BG/NBD + Gamma-Gamma, libs/segments-domain clv): parameters, horizon and tier thresholds on predicted value. */
export interface StoredClvModel {
  kind: 'clv';
  fittedAt: string;
  horizonDays: number;
  monthlyDiscountRate: number | null;
  profiles: number;
  model: {
    kind: 'bgnbd-gamma-gamma';
    bgNbd: { r: number; alpha: number; a: number; b: number };
    gammaGamma: { p: number; q: number; v: number };
    fit: { customers: number; repeatCustomers: number; bgNbdLogLikelihood: number; gammaGammaLogLikelihood: number };
  };
  thresholds: { top: number; bottom: number };
  tierCounts: Record<'top' | 'middle' | 'bottom', number>;
  notes: string[];
}

export type StoredModel = StoredClusterModel | StoredPropensityModel | StoredClvModel;

export interface Connector {
  slug: string;
  displayName: string;
  channel: string;
  deliveryModel: string;
  requiredIdentifiers: string[];
  settings: JsonSchema;
  secrets: JsonSchema;
  /** Built into this build, or an npm package the operator installed (AK_CONNECTOR_PACKAGES). */
  source: ConnectorSource;
}

export type ConnectorSource = { kind: 'built-in' } | { kind: 'package'; package: string; version: string };

/** `built in`, or `@acme/audiencekit-acme@1.2.0`. */
export const describeSource = (source: ConnectorSource | undefined): string =>
  source?.kind === 'package' ? `${source.package}@${source.version}` : 'built in';

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  format?: string;
}

export interface Destination {
  id: string;
  name: string;
  connector: string;
  settings: Record<string, unknown>;
  secretsSet: boolean;
}

export interface Activation {
  id: string;
  name: string;
  segmentId: string;
  destinationId: string;
  connector: string;
  mode: string;
  holdoutShare: number;
  schedule: string;
  status: string;
  /** Segments whose members it never delivers to (issue #23). */
  excludeSegmentIds?: string[];
  /** The priority list whose entry (its segment) it targets. */
  priorityListId?: string | null;
}

/** A gate's decision on a sync run (`plan.guard`): which gates held it and why. */
export interface SyncGuard {
  hold?: boolean;
  gates?: string[];
  reasons?: string[];
  confirmedBy?: string | null;
}

export interface SyncRun {
  id: string;
  activationId: string;
  status: string;
  dryRun: boolean;
  counts: Record<string, number>;
  errors: { code?: string; message?: string }[];
  /** Dry runs: the itemised plan; held and gated runs: `guard` (why a run awaits confirmation). */
  plan?: { guard?: SyncGuard } & Record<string, unknown>;
  /** Match reconciliation: what the ads vendor reported back beside what was sent (null: nothing reported). */
  reconciliation?: SyncRunReconciliation | null;
  /** Requests the vendor has not confirmed yet (Google still processing); null when none. */
  pendingVendorConfirmation?: { requests: number; summary: string } | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface SyncRunReconciliation {
  sent: number;
  vendorReceived: number | null;
  vendorInvalid: number | null;
  audienceSize: number | null;
  heldAtVendor: number | null;
  matchRate: number | null;
  matchRateDropped: boolean;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface ArmReport {
  members: number;
  conversions: number;
  conversionRate: number;
  conversionRateInterval: Interval;
}

export interface LiftResponse {
  activationId: string;
  kpi: Kpi;
  asOf: string;
  report: {
    confidenceLevel: number;
    configuredControlShare: number;
    window: { start: string; end: string };
    sampleRatioMismatch: {
      observed: Record<string, number>;
      expected: Record<string, number>;
      pValue: number;
      threshold: number;
      detected: boolean;
    } | null;
    arms: { control: ArmReport; treatment: ArmReport };
    conversion: {
      absoluteLift: (Interval & { estimate: number }) | null;
      relativeLift: (Interval & { estimate: number }) | null;
      test: { pValue: number } | null;
    };
    power: { power: number; minimumDetectableEffect: { absolute: number | null; relative: number | null } } | null;
    notes: { path: string; message: string }[];
  } | null;
}

/** One entry or exit of `GET /segments/:id/changes`; `runId` is null for a real-time change. */
export interface MembershipChange {
  id: number;
  profileId: string;
  change: 'added' | 'removed';
  cause: 'realtime' | 'refresh';
  runId: string | null;
  version: number;
  changedAt: string;
}

export interface MembershipChanges {
  size: number;
  items: MembershipChange[];
}
