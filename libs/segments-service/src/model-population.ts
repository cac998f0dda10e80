import { EntityManager } from 'typeorm';
import type { FittedDefinition } from '@audiencekit/segments-domain';
import { firstSeenSummary } from './model-features.repository';
import { SegmentsException } from './segments.exception';

/**
 * Called when a fit's population came back empty at `asOf`, to say why when the reason is not the
 * population itself:
 * - every live profile was first seen after `asOf` (typically a table imported today and a past
 *   cutoff: an imported profile is first seen at import unless the import maps a first-seen column);
 * - a churn definition and nobody active in its lookback before `asOf`.
 * Returns quietly otherwise (the caller then reports the empty population as before).
 * @throws {SegmentsException} `no_profiles_seen_by_cutoff` or `no_active_profiles` (400), naming the path.
 */
export async function assertSeenAndActive(manager: EntityManager, definition: FittedDefinition, asOf: Date): Promise<void> {
  const seen = await firstSeenSummary(manager, asOf);
  const when = asOf.toISOString();
  if (seen.profiles > 0 && seen.seenBy === 0) {
    const from = seen.earliest ? seen.earliest.toISOString() : 'an unknown time';
    throw new SegmentsException(
      'no_profiles_seen_by_cutoff',
      `no profiles were first seen by ${when}; ${seen.profiles} profiles exist, first seen from ${from} — imported profiles are first seen at import unless the import maps a first-seen column (apps/cli import --first-seen-column)`,
      [
        {
          path: definition.type === 'propensity' ? 'definition.cutoff' : 'definition',
          message: `every profile was first seen after ${when} (the earliest at ${from})`,
        },
      ],
    );
  }
  if (definition.type === 'propensity' && definition.outcome.kind === 'churn' && definition.outcome.active) {
    const { lookbackDays, events } = definition.outcome.active;
    const what = events === 'outcome_event' ? `a "${definition.outcome.event}" event` : 'any track, page or screen event';
    throw new SegmentsException(
      'no_active_profiles',
      `no profile in the population was active before ${when}: none has ${what} in the ${lookbackDays} days up to it`,
      [{ path: 'definition.outcome.active', message: `no profile has ${what} in the ${lookbackDays} days before ${when}` }],
    );
  }
}
