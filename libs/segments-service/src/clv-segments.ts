import { EntityManager } from 'typeorm';
import {
  type ClvDefinition,
  ClvException,
  clvOrderSource,
  compileClvOrdersSql,
  fitClvSegment,
  type ClvOrderRow,
  type ClvScore,
  PropensityException,
  sameClvFit,
  scoreClvSegment,
  type StoredClvModel,
} from '@audiencekit/segments-domain';
import { featureRowsOf } from './segment-membership.repository';
import { SegmentsException } from './segments.exception';

/**
 * The model of a new `clv` version: the previous version's when only `tier` changed, else a fit on
 * every live profile's orders up to `now`.
 * @throws {SegmentsException} 400 `no_purchases_in_window` (no order event with a positive amount),
 *   `invalid_definition` naming the field for a model refusal (e.g. the likelihood has no maximum).
 */
export async function prepareClvVersion(
  manager: EntityManager,
  definition: ClvDefinition,
  now: Date,
  previous?: { definition: Record<string, unknown>; model: Record<string, unknown> | null },
): Promise<StoredClvModel> {
  if (previous?.model?.['kind'] === 'clv' && sameClvFit(previous.definition, definition)) {
    return previous.model as unknown as StoredClvModel;
  }
  const rows = await clvOrderRows(manager, definition, now);
  if (rows.length === 0) {
    throw new SegmentsException(
      'no_purchases_in_window',
      `no live profile has a "${definition.orderEvent}" event with a positive numeric "${definition.amountProperty}" to fit a lifetime-value model on`,
      [{ path: 'definition.orderEvent', message: `no "${definition.orderEvent}" event with a positive "${definition.amountProperty}"` }],
    );
  }
  return refusedAs400(() => fitClvSegment(definition, rows, now));
}

/**
 * Every profile with an order up to `now` (or only `profileId`), scored with the version's stored
 * model: predicted transactions, P(alive), spend, CLV over the stored horizon and the tier.
 */
export async function clvScores(
  manager: EntityManager,
  definition: ClvDefinition,
  stored: StoredClvModel | null,
  now: Date,
  profileId?: string,
): Promise<ClvScore[]> {
  if (!stored || stored.kind !== 'clv') throw new Error('the version has no stored clv model');
  const rows = await clvOrderRows(manager, definition, now, profileId);
  return refusedAs400(() => scoreClvSegment(stored, rows, now));
}

/** Members of a `clv` segment at `now`: the scored profiles in the picked tier. */
export async function clvMembers(
  manager: EntityManager,
  definition: ClvDefinition,
  stored: StoredClvModel | null,
  now: Date,
): Promise<string[]> {
  return (await clvScores(manager, definition, stored, now))
    .filter((score) => score.tier === definition.tier)
    .map((score) => score.profileId);
}

async function clvOrderRows(manager: EntityManager, definition: ClvDefinition, now: Date, profileId?: string): Promise<ClvOrderRow[]> {
  const query = compileClvOrdersSql(clvOrderSource(definition), { now, profileId });
  return (await featureRowsOf(manager, query)) as unknown as ClvOrderRow[];
}

/** A model refusal from the pure lib is a 400 naming the definition field (or the customer), nothing stored. */
function refusedAs400<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof ClvException) && !(error instanceof PropensityException)) throw error;
    const field = error.field === 'topShare' || error.field === 'bottomShare' ? `tierShares.${error.field}` : error.field;
    const path =
      field && !field.startsWith('customer ') && !['bgnbd', 'gammaGamma', 'scores'].includes(field) ? `definition.${field}` : 'definition';
    throw new SegmentsException('invalid_definition', `lifetime-value model refused (${error.code}): ${error.message}`, [
      { path, message: error.reason },
    ]);
  }
}
