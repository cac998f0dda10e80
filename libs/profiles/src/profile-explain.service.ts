import { profileValues } from '@audiencekit/segments-service';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  assignClusters,
  assignTiers,
  type ClvDefinition,
  type ClvOrderRow,
  clvOrderSource,
  compileClvOrdersSql,
  compileFeatureSql,
  compileRfmScoresSql,
  DEFAULT_RFM_TIERS,
  explainSegment,
  featureKinds,
  featureName,
  featureTableFromRows,
  type FittedDefinition,
  type IntentValueDefinition,
  parseSegmentDefinition,
  realtimeEventNeeds,
  type RfmDefinition,
  rfmTierOf,
  type RulesDefinition,
  scoreClvSegment,
  scorePropensity,
  type StoredClvModel,
} from '@audiencekit/segments-domain';
import type { StoredModel } from '@audiencekit/segments-service';
import { isUuid } from '@audiencekit/util';
import * as repo from './profiles.repository';
import { ProfilesException } from './profiles.exception';
import { ProfilesService } from './profiles.service';
import type { ProfileExplanation } from './profile-view';

/**
 * Why a profile is or is not in a segment. Rules segments go through `explainSegment`
 * (libs/segments-domain): the real-time evaluator's verdict over the same events real time loads
 * (`realtimeEventNeeds`), every node of the tree with the values that decided it. Model segments
 * (RFM, intent × value, cluster, propensity) are scored for this one profile with the version's
 * stored model, exactly as a refresh scores them.
 */
@Injectable()
export class ProfileExplainService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly profiles: ProfilesService,
  ) {}

  /** @throws ProfilesException `unknown_profile`, `unknown_explain_segment`, `explain_model_missing`. */
  async explain(profileId: string, segmentIdOrKey: string, now: Date = new Date()): Promise<ProfileExplanation> {
    const manager = this.dataSource.manager;
    const profile = await this.profiles.liveProfile(manager, profileId);
    const segment = await repo.segmentByIdOrKey(manager, segmentIdOrKey, isUuid(segmentIdOrKey));
    if (!segment)
      throw new ProfilesException('unknown_explain_segment', `no segment with id or key ${segmentIdOrKey}`, [
        { path: 'segment', message: 'is not a live segment id or key' },
      ]);
    const definition = parseSegmentDefinition(segment.definition);
    const head = {
      profileId: profile.id,
      segment: {
        id: segment.id,
        key: segment.key,
        type: definition.type,
        version: segment.version,
        refreshCadence: segment.refresh_cadence,
      },
      at: now.toISOString(),
      member: await repo.isMember(manager, segment.id, profile.id),
    };
    switch (definition.type) {
      case 'rules':
        return { ...head, ...(await this.rules(manager, profile, definition, now)) };
      case 'rfm':
      case 'intent_value':
        return { ...head, ...(await this.valueTiers(manager, profile.id, definition, now)) };
      case 'cluster':
      case 'propensity':
        return { ...head, ...(await this.fitted(manager, profile.id, definition, segment, now)) };
      case 'clv':
        return { ...head, ...(await this.lifetimeValue(manager, profile.id, definition, segment, now)) };
      default:
        // A type with nothing to evaluate per profile (e.g. a static list): the stored membership is the answer.
        return { ...head, matches: head.member, model: { kind: (definition as { type: string }).type } };
    }
  }

  private async rules(manager: EntityManager, profile: repo.ProfileRow, definition: RulesDefinition, now: Date) {
    const needs = realtimeEventNeeds([definition]);
    const since = needs.sinceMs(now);
    const events = await repo.eventsForEvaluation(
      manager,
      profile.id,
      needs.names === 'all' ? null : needs.names,
      since === null ? null : new Date(since),
      needs,
    );
    // Other segments as real time sees them: the stored memberships, ids and keys.
    const otherSegments = new Set((await repo.membershipsOf(manager, profile.id)).flatMap((row) => [row.segment_id, row.key]));
    const explained = explainSegment(
      definition,
      {
        traits: profile.traits,
        events: events.map((event) => ({
          name: event.name,
          timestamp: event.ts,
          properties: event.properties ?? {},
          type: event.type,
          context: event.context,
        })),
        otherSegments,
        computedTraits: Object.fromEntries((await profileValues(manager, profile.id)).map((derived) => [derived.key, derived.value])),
      },
      now,
    );
    return { matches: explained.matches, nextChangeAt: explained.nextChangeAt, root: explained.root };
  }

  /** RFM and intent × value: the profile's quintile scores among the window's purchasers, its tier and the tiers' score ranges. */
  private async valueTiers(manager: EntityManager, profileId: string, definition: RfmDefinition | IntentValueDefinition, now: Date) {
    const scores = await repo.rowOfProfile(manager, compileRfmScoresSql(definition, { now }), profileId);
    const r = scores ? Number(scores['r']) : null;
    const f = scores ? Number(scores['f']) : null;
    const m = scores ? Number(scores['m']) : null;
    const base = {
      purchaser: scores !== undefined,
      window: definition.window,
      recencyDays: scores ? Number(scores['recency_days']) : null,
      frequency: scores ? Number(scores['frequency']) : null,
      monetary: scores ? String(scores['monetary']) : null,
      scores: r === null ? null : { r, f, m },
    };
    if (definition.type === 'rfm') {
      const table = definition.tierTable ?? DEFAULT_RFM_TIERS;
      const tier = r === null ? undefined : rfmTierOf(table, r, f as number, m as number);
      return {
        matches: tier !== undefined && definition.tiers.includes(tier.key),
        model: { kind: 'rfm', ...base, tier: tier?.key ?? null, thresholds: table.filter((rule) => definition.tiers.includes(rule.key)) },
      };
    }
    // The segment-intent source needs the referenced segment's membership: read it as SQL would.
    const intentHigh =
      definition.intent.source === 'recency'
        ? r !== null && r >= definition.intent.minScore
        : r !== null && (await this.memberOfKeyOrId(manager, profileId, definition.intent.segment));
    const valueHigh = m !== null && m >= definition.value.minScore;
    const cell = `${intentHigh ? 'high' : 'low'}_intent_${valueHigh ? 'high' : 'low'}_value`;
    return {
      matches: r !== null && cell === definition.cell,
      model: {
        kind: 'intent_value',
        ...base,
        cell: r === null ? null : cell,
        thresholds: { intent: definition.intent, value: definition.value },
      },
    };
  }

  /** Lifetime value: the profile's orders up to now scored with the version's stored model and thresholds (as a refresh scores it). */
  private async lifetimeValue(manager: EntityManager, profileId: string, definition: ClvDefinition, segment: repo.SegmentRow, now: Date) {
    const stored = segment.model as StoredClvModel | null;
    if (!stored || stored.kind !== 'clv')
      throw new ProfilesException('explain_model_missing', `version ${segment.version} of ${segment.key} has no stored clv model`);
    const orders = await repo.rowsOfQuery(manager, compileClvOrdersSql(clvOrderSource(definition), { now, profileId }));
    const [score] = scoreClvSegment(stored, orders as unknown as ClvOrderRow[], now);
    const version = { segmentVersion: segment.version, fittedAt: stored.fittedAt, horizonDays: stored.horizonDays };
    // Without an order the models have no customer to predict for (they start at the first order).
    if (!score) return { matches: false, model: { kind: 'clv', inPopulation: false, ...version } };
    return {
      matches: score.tier === definition.tier,
      model: {
        kind: 'clv',
        inPopulation: true,
        orders: orders.length,
        expectedTransactions: score.expectedTransactions,
        probabilityAlive: score.probabilityAlive,
        expectedAverageSpend: score.expectedAverageSpend,
        clv: score.clv,
        tier: score.tier,
        pickedTier: definition.tier,
        thresholds: stored.thresholds,
        ...version,
      },
    };
  }

  private async memberOfKeyOrId(manager: EntityManager, profileId: string, keyOrId: string): Promise<boolean> {
    const segment = await repo.segmentByIdOrKey(manager, keyOrId, isUuid(keyOrId));
    return segment !== undefined && (await repo.isMember(manager, segment.id, profileId));
  }

  /** Cluster and propensity: the profile's features scored with the version's stored model (as a refresh scores it). */
  private async fitted(manager: EntityManager, profileId: string, definition: FittedDefinition, segment: repo.SegmentRow, now: Date) {
    const stored = segment.model as StoredModel | null;
    if (!stored || stored.kind !== definition.type)
      throw new ProfilesException(
        'explain_model_missing',
        `version ${segment.version} of ${segment.key} has no stored ${definition.type} model`,
      );
    const row = await repo.rowOfProfile(manager, compileFeatureSql(definition, now, undefined, stored), profileId);
    const names = definition.features.map(featureName);
    const version = { segmentVersion: segment.version, fittedAt: stored.fittedAt };
    if (!row) return { matches: false, model: { kind: definition.type, inPopulation: false, ...version } };
    const kinds = featureKinds(definition, stored);
    const { matrix } = featureTableFromRows(definition, kinds, [row]);
    // Numbers as numbers, categorical values as their text (null: missing).
    const features = Object.fromEntries(
      names.map((name, index) => {
        const value = row[`f${index}`];
        if (value === null || value === undefined) return [name, null];
        return [name, kinds[index] === 'categorical' ? String(value) : Number(value)];
      }),
    );
    if (stored.kind === 'cluster') {
      const cluster = assignClusters(stored.model, matrix)[0];
      const pick = (definition as Extract<FittedDefinition, { type: 'cluster' }>).cluster;
      return {
        matches: cluster === pick,
        model: { kind: 'cluster', inPopulation: true, features, cluster, pickedCluster: pick, k: stored.model.k, ...version },
      };
    }
    const score = scorePropensity(stored.model, matrix)[0];
    const tier = assignTiers([score], stored.thresholds).tiers[0];
    const pick = (definition as Extract<FittedDefinition, { type: 'propensity' }>).tier;
    return {
      matches: tier === pick,
      model: { kind: 'propensity', inPopulation: true, features, score, tier, pickedTier: pick, thresholds: stored.thresholds, ...version },
    };
  }
}
