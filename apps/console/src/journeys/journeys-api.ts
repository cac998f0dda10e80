/** Journeys and plays as the admin API returns them (issue #23; the contract in libs/journeys/README.md). */
import type { Kpi, LiftResponse } from '../types';

export type JourneyStatus = 'draft' | 'live' | 'paused' | string;

export interface JourneySummary {
  id: string;
  key: string;
  name: string;
  status: JourneyStatus;
  currentVersion: number;
  entrySegment: { id: string; key: string } | null;
  entered: number;
  inFlight: number;
  goalReached: number;
}

export type JourneyStepType = 'send' | 'audience' | 'wait' | 'wait_until' | 'branch' | 'exit';

/** One step of a definition: its id, its type and the type's own fields (see STEP_FIELDS). */
export interface JourneyStep {
  id: string;
  type: JourneyStepType;
  [field: string]: unknown;
}

/** libs/journeys' JourneyDefinition (the console keeps steps open: it draws them from STEP_FIELDS). */
export interface JourneyDefinition {
  entrySegmentId: string;
  goal: { event: string; withinDays: number } | null;
  holdoutShare: number;
  reEntry: { mode: 'once' } | { mode: 'after_days'; days: number };
  steps: JourneyStep[];
}

export interface JourneyView {
  id: string;
  key: string;
  name: string;
  status: JourneyStatus;
  currentVersion: number;
  definition: JourneyDefinition;
  versions: { version: number; createdAt: string }[];
}

/** One step's counts in `GET /journeys/:key/report` (over every version, matched by step id). */
export interface JourneyStepCounts {
  id: string;
  type: JourneyStepType;
  /** Entries that reached the step: logged there, whatever the outcome, or waiting in it. */
  entered: number;
  /** send: delivered; audience: added or removed. */
  sent: number;
  waiting: number;
  branched: { then: number; else: number };
  exited: number;
  /** Treated entries that reached the goal while this step was next (so it never ran for them). */
  goalReached: number;
  capped: number;
  /** Not sent: on the suppression list, unsubscribed, no consent, or the profile deleted or merged. */
  suppressed: number;
  /** Not sent: held out by the core's re-check (0 unless an entry's stored arm was wrong). */
  heldOut?: number;
  /** Not sent: no valid identifier of a kind the destination needs. */
  invalid?: number;
  /** Not sent for any other reason. */
  skipped: number;
  rejected?: number;
  failed?: number;
  inFlight?: number;
  waits?: { waited: number; eventSeen: number; timedOut: number };
}

/** The lift of the goal, treated vs control: the activation lift report's shape, or why there is none yet. */
export type JourneyLift = { available: false; reason: string } | (Partial<LiftResponse> & { available?: true; [field: string]: unknown });

export interface JourneyReport {
  journey: { id: string; key: string } | string;
  version?: number;
  totals: {
    entered: number;
    treatment: number;
    control: number;
    globalHoldout?: number;
    inFlight: number;
    goalReached: number;
    completed?: number;
    exited?: number;
  };
  steps: JourneyStepCounts[];
  lift: JourneyLift;
}

/** `POST /plays`: what the four plays created (libs/activation-admin plays). */
export interface PlaysResult {
  /** The four quadrant segments, `cell` naming the quadrant. */
  segments: { id: string; key: string; name: string; cell?: string }[];
  /** The owned send, the retargeting audience, then each paid-media activation that now excludes low ∧ low. */
  activations: { id: string; name: string; mode?: string; play?: 'owned_send' | 'retargeting' | 'paid_media_exclusion' }[];
  frequencyCap?: { id: string; name: string; channel: string; maxMessages: number; windowHours: number; reused: boolean } | null;
  journey: { id: string; key: string; name: string; status: JourneyStatus; currentVersion?: number };
}

/**
 * The report's lift in the shape the activation lift card reads (`LiftResponse`), or the reason it
 * cannot be shown. The API may answer the whole `{ kpi, asOf, report }` result or the bare report;
 * the KPI then comes from the journey's goal.
 */
export function liftForCard(
  lift: JourneyLift | undefined,
  journeyId: string,
  goal: JourneyDefinition['goal'],
): { response: LiftResponse } | { reason: string } {
  if (!lift) return { reason: 'no lift in the report' };
  if (lift.available === false) return { reason: String((lift as { reason?: unknown }).reason ?? 'not available yet') };
  const kpi: Kpi = (lift.kpi as Kpi | undefined) ?? { event: goal?.event ?? 'goal', windowDays: goal?.withinDays ?? 0 };
  const report =
    'report' in lift ? (lift.report as LiftResponse['report']) : 'arms' in lift ? (lift as unknown as LiftResponse['report']) : null;
  if (!report) return { reason: 'no exposures yet' };
  return { response: { activationId: journeyId, kpi, asOf: String(lift.asOf ?? new Date().toISOString()), report } };
}

/** `definition.steps[2].seconds` → `definition.steps.2.seconds`: the API's paths in the form the field errors match. */
export const dottedPath = (path: string): string => path.replace(/\[(\d+)\]/g, '.$1');
