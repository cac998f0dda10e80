import type { SegmentRunQuality } from '@audiencekit/persistence';
import type { MassSendDecision } from './mass-send-guard';

export const DEFAULT_MASS_REMOVAL_SHARE = 0.2;
/** Below this many removes the share alone never holds a run (a list of 10 losing 3 costs nothing). */
export const DEFAULT_MASS_REMOVAL_MIN = 100;

/** The part of the server config the removal gate reads (AK_MASS_REMOVAL_*). */
export interface MassRemovalConfig {
  AK_MASS_REMOVAL_SHARE?: number;
  AK_MASS_REMOVAL_MIN?: number;
}

/** Which gate held (or passed) a run: the mass-send guard, the mass-removal gate, the refresh-quality gate. */
export type GateName = 'mass_send' | 'mass_removal' | 'refresh_quality';

export interface MassRemovalDecision {
  hold: boolean;
  /** Members this run would remove (plus, for on-change runs, those removed since the window opened). */
  removes: number;
  /** What the destination held before these removes (`present` members, plus the window's removes). */
  held: number;
  share: number;
  min: number;
  reasons: string[];
}

/** The quality flags of a segment refresh (`segment_runs.quality`, set against the card's thresholds). */
export type RefreshQuality = SegmentRunQuality;

/**
 * A gate's decision on one run as stored in `plan.guard` and the audit log: the mass-send fields
 * (kept for send mode and for readers of held sends) plus which gates spoke and their figures.
 */
export interface GateDecision extends MassSendDecision {
  gates: GateName[];
  removal?: MassRemovalDecision;
  quality?: RefreshQuality & { segmentRunId: string };
}

/**
 * A mirror removes at the vendor whatever left the segment; a segment emptied by an upstream
 * outage would empty every vendor list. A run removing more than `share` of what the destination
 * holds, and at least `min` members, waits for a person.
 */
export function massRemovalDecision(removes: number, held: number, config: MassRemovalConfig = {}): MassRemovalDecision {
  const share = config.AK_MASS_REMOVAL_SHARE ?? DEFAULT_MASS_REMOVAL_SHARE;
  const min = config.AK_MASS_REMOVAL_MIN ?? DEFAULT_MASS_REMOVAL_MIN;
  const reasons =
    removes >= min && removes > share * held
      ? [
          `${removes} removes of the ${held} members the destination holds is above the mass-removal share of ${formatShare(share)} (AK_MASS_REMOVAL_SHARE)`,
        ]
      : [];
  return { hold: reasons.length > 0, removes, held, share, min, reasons };
}

/**
 * The refresh's own verdict on itself: a refresh flagged empty, not substantial or unstable by the
 * segment card's thresholds is suspect (an upstream outage looks exactly like this), so the syncs
 * that follow it wait for a person. One reason per flag.
 */
export function refreshQualityReasons(quality: RefreshQuality | null | undefined): string[] {
  if (!quality) return [];
  const reasons: string[] = [];
  if (quality.empty) reasons.push('the refresh this sync follows left the segment empty');
  else if (quality.notSubstantial)
    reasons.push(`the refresh this sync follows left fewer than the card's minimum of ${quality.minSize} members`);
  if (quality.unstable)
    reasons.push(
      `the refresh this sync follows changed ${formatShare(quality.churn ?? 0)} of the segment, above the card's maximum churn of ${formatShare(quality.maxChurn)}`,
    );
  return reasons;
}

/** Combines the gates' verdicts into the one decision a run carries. */
export function combineGates(
  send: MassSendDecision | null,
  removal: MassRemovalDecision | null,
  quality: (RefreshQuality & { segmentRunId: string }) | null,
  changes: number,
): GateDecision {
  // A suspect refresh holds only a run that would change something at the vendor.
  const qualityReasons = changes > 0 ? refreshQualityReasons(quality) : [];
  const gates: GateName[] = [];
  if (send?.hold) gates.push('mass_send');
  if (removal?.hold) gates.push('mass_removal');
  if (qualityReasons.length) gates.push('refresh_quality');
  const reasons = [...(send?.reasons ?? []), ...(removal?.reasons ?? []), ...qualityReasons];
  return {
    hold: reasons.length > 0,
    count: send?.count ?? 0,
    threshold: send?.threshold ?? 0,
    growthPct: send?.growthPct ?? 0,
    lastRunSent: send?.lastRunSent ?? null,
    reasons,
    gates,
    ...(removal ? { removal } : {}),
    ...(quality ? { quality } : {}),
  };
}

function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
