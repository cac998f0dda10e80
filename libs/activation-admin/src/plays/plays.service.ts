import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { z } from 'zod';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { DestinationEntity, FrequencyCapChannel, SegmentEntity } from '@audiencekit/persistence';
import { SegmentsService } from '@audiencekit/segments-service';
import { CodedException, type ErrorDetail } from '@audiencekit/util';
import { ActivationAdminException } from '../activation-admin.exception';
import { ActivationsService } from '../activations/activations.service';
import { ConnectorCatalog } from '../connectors/connector-catalog.service';
import { FrequencyCapsService } from '../frequency-caps/frequency-caps.service';
import { JourneysAdminService } from '../journeys/journeys-admin.service';
import { resolveSegmentRefs } from '../segment-refs';
import { CreatePlaysInput, DEFAULT_GOAL_EVENT, PlaysResult } from './play-input.schema';
import { playsKeyPrefix, quadrantCadence, quadrantSegments } from './play-quadrants';
import { winBackDefinition, winBackGoalDays } from './win-back-journey';

/** The owned-channel message when the body gives none: short, personal, editable on the activation. */
const DEFAULT_OWNED_MESSAGE = { subject: 'Picked for you', text: 'Thanks for shopping with us: here is something picked for you.' };

interface ResolvedDestination {
  destination: DestinationEntity;
  connector: AnyConnectorDefinition;
}

/**
 * "Plays in one step" (issue #23): from an intent segment and a value segment, the four quadrant
 * segments and their plays — the owned-channel send, the capped retargeting audience, the win-back
 * journey and the paid-media exclusion — written in one transaction (all or nothing). Each is a normal
 * activation or journey afterwards, edited through its own routes.
 */
@Injectable()
export class PlaysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: ConnectorCatalog,
    private readonly segments: SegmentsService,
    private readonly activations: ActivationsService,
    private readonly caps: FrequencyCapsService,
    private readonly journeys: JourneysAdminService,
  ) {}

  async create(input: CreatePlaysInput, actor: string | null): Promise<PlaysResult> {
    return this.dataSource.transaction(async (manager) => {
      const problems: ErrorDetail[] = [];
      const [intent, value] = await this.inputSegments(manager, input, problems);
      const owned = await this.destination(manager, input.destinations.owned, 'destinations.owned', 'send', problems);
      const retargeting = await this.destination(manager, input.destinations.retargeting, 'destinations.retargeting', 'list', problems);
      const winBack = await this.destination(manager, input.destinations.winBack, 'destinations.winBack', 'send', problems);
      const paidRefs = typeof input.destinations.paidMedia === 'string' ? [input.destinations.paidMedia] : input.destinations.paidMedia;
      const paidMedia = await Promise.all(
        paidRefs.map((ref, index) =>
          this.destination(
            manager,
            ref,
            typeof input.destinations.paidMedia === 'string' ? 'destinations.paidMedia' : `destinations.paidMedia[${index}]`,
            undefined,
            problems,
          ),
        ),
      );
      if (problems.length || !intent || !value || !owned || !retargeting || !winBack) throw invalid(problems);
      const prefix = input.key ?? playsKeyPrefix(intent.key, value.key);
      const cadence = quadrantCadence(intent.refreshCadence, value.refreshCadence);
      const quadrants = quadrantSegments(intent, value, prefix);
      const created = [];
      for (const quadrant of quadrants) {
        const segment = await underPath('key', () =>
          this.segments.createRulesWithin(
            manager,
            {
              key: quadrant.key,
              name: quadrant.name.slice(0, 200),
              description: quadrant.description,
              owner: intent.owner,
              refreshCadence: cadence,
              kpi: value.kpi,
              status: 'active',
              qualityThresholds: { minSize: 0, maxChurn: 0.5 },
              definition: quadrant.definition,
            },
            actor,
          ),
        );
        created.push({ cell: quadrant.cell, id: segment.id, key: segment.key, name: segment.name, definition: segment.definition });
      }
      const [highHigh, highLow, lowHigh, lowLow] = created;

      const ownedSend = await underPath('ownedMessage', () =>
        this.activations.createWithin(manager, {
          name: `${highHigh.name}: owned send`.slice(0, 200),
          segmentId: highHigh.id,
          destinationId: owned.destination.id,
          mode: 'send',
          holdoutShare: input.holdoutShare,
          schedule: 'after_refresh',
          message: input.ownedMessage ?? DEFAULT_OWNED_MESSAGE,
          excludeSegments: [],
          priorityList: null,
        }),
      );
      const retargetingAudience = await underPath('destinations.retargeting', () =>
        this.activations.createWithin(manager, {
          name: `${highLow.name}: retargeting`.slice(0, 200),
          segmentId: highLow.id,
          destinationId: retargeting.destination.id,
          mode: 'mirror',
          holdoutShare: input.holdoutShare,
          schedule: 'after_refresh',
          message: null,
          excludeSegments: [],
          priorityList: null,
        }),
      );
      const frequencyCap = await this.retargetingCap(manager, retargeting.connector, input.retargetingCap, prefix);

      const goal = input.goal ?? { event: value.kpi?.event ?? DEFAULT_GOAL_EVENT, withinDays: winBackGoalDays(input.waitDays) };
      const journey = await underPath('destinations.winBack', () =>
        this.journeys.createWithin(
          manager,
          {
            key: `${prefix}_winback`,
            name: `${lowHigh.name}: win-back`.slice(0, 200),
            definition: {
              ...winBackDefinition({
                entrySegmentId: lowHigh.id,
                destinationId: winBack.destination.id,
                channel: winBack.connector.channel,
                offers: input.offers,
                waitDays: input.waitDays,
                goal,
                holdoutShare: input.holdoutShare,
              }),
            },
          },
          actor,
        ),
      );

      const excluded = await this.activations.excludeSegmentWithin(
        manager,
        paidMedia.flatMap((resolved) => (resolved ? [resolved.destination.id] : [])),
        lowLow.id,
      );
      if (excluded.length === 0)
        throw invalid([
          {
            path: 'destinations.paidMedia',
            message:
              'no live activation delivers to it, so there is nothing to exclude low intent ∧ low value from: create the paid-media activation first, or name the retargeting destination',
          },
        ]);
      // The retargeting activation is paid media too when its destination is: show it once, with its exclusion.
      const retargetingView = excluded.find((activation) => activation.id === retargetingAudience.id) ?? retargetingAudience;
      return {
        segments: created,
        activations: [
          { ...ownedSend, play: 'owned_send' as const },
          { ...retargetingView, play: 'retargeting' as const },
          ...excluded
            .filter((activation) => activation.id !== retargetingAudience.id)
            .map((activation) => ({ ...activation, play: 'paid_media_exclusion' as const })),
        ],
        paidMediaExclusion: { segmentId: lowLow.id, activationIds: excluded.map((activation) => activation.id) },
        frequencyCap,
        journey: { id: journey.id, key: journey.key, name: journey.name, status: journey.status, currentVersion: journey.currentVersion },
      };
    });
  }

  /** The intent and value segments: live, and two different ones. */
  private async inputSegments(
    manager: EntityManager,
    input: CreatePlaysInput,
    problems: ErrorDetail[],
  ): Promise<[SegmentEntity | undefined, SegmentEntity | undefined]> {
    const found: (SegmentEntity | undefined)[] = [];
    for (const [field, ref] of [
      ['intentSegment', input.intentSegment],
      ['valueSegment', input.valueSegment],
    ] as const) {
      const { segments } = await resolveSegmentRefs(manager, [ref], field);
      const segment = segments[0] ? await manager.getRepository(SegmentEntity).findOneBy({ id: segments[0].id }) : null;
      if (!segment) problems.push({ path: field, message: `no live segment with key or id "${ref}"` });
      found.push(segment ?? undefined);
    }
    if (found[0] && found[1] && found[0].id === found[1].id)
      problems.push({ path: 'valueSegment', message: 'is the intent segment: the quadrants need two different segments' });
    return [found[0], found[1]];
  }

  /**
   * A live destination by id or name whose connector can do the play: `send` (owned channel,
   * win-back) needs a send-time connector, `list` (retargeting) one that keeps an audience.
   */
  private async destination(
    manager: EntityManager,
    ref: string,
    path: string,
    model: 'send' | 'list' | undefined,
    problems: ErrorDetail[],
  ): Promise<ResolvedDestination | undefined> {
    const repository = manager.getRepository(DestinationEntity);
    const matches = z.uuid().safeParse(ref).success
      ? await repository.find({ where: { id: ref, deletedAt: IsNull() } })
      : await repository.find({ where: { name: ref, deletedAt: IsNull() }, take: 2 });
    if (matches.length !== 1) {
      problems.push({
        path,
        message: matches.length
          ? `${matches.length} destinations are named "${ref}": use the id`
          : `no destination with id or name "${ref}"`,
      });
      return undefined;
    }
    const connector = this.catalog.find(matches[0].connector);
    if (!connector) {
      problems.push({ path, message: `connector "${matches[0].connector}" is not registered on this server` });
      return undefined;
    }
    if (model && connector.deliveryModel !== model) {
      problems.push({
        path,
        message:
          model === 'send'
            ? `connector "${connector.slug}" keeps a list and cannot send a message: this play needs a destination that sends (email, SMS)`
            : `connector "${connector.slug}" sends messages and keeps no audience: this play needs a destination that keeps a list (an ads audience)`,
      });
      return undefined;
    }
    return { destination: matches[0], connector };
  }

  /**
   * A messaging retargeting channel gets a frequency cap (an existing cap on that channel is reused,
   * since caps count every activation on the channel). Ads: none — how often an ad is shown is the
   * vendor campaign's frequency setting, not a message we send.
   */
  private async retargetingCap(
    manager: EntityManager,
    connector: AnyConnectorDefinition,
    cap: CreatePlaysInput['retargetingCap'],
    prefix: string,
  ): Promise<PlaysResult['frequencyCap']> {
    if (connector.channel === 'ads') return null;
    const channel = connector.channel as FrequencyCapChannel;
    const existing = await this.caps.onChannel(manager, channel);
    if (existing.length) return { ...existing[0], reused: true };
    const created = await this.caps.createWithin(manager, { name: `${prefix} retargeting cap`, channel, ...cap });
    return { ...created, reused: false };
  }
}

function invalid(details: ErrorDetail[]): ActivationAdminException {
  return new ActivationAdminException(
    'invalid_request',
    `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
    details,
  );
}

/**
 * Runs one part of the plays and re-reads a refusal's field paths as the body's: an inner `message.subject`
 * of the owned send is `ownedMessage.subject`, a taken segment `key` is the plays' `key`.
 */
async function underPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof CodedException) || !error.details?.length) throw error;
    const details = error.details.map((detail) => ({ path: bodyPath(path, detail.path), message: detail.message }));
    const Rethrown = error.constructor as new (code: string, message: string, details: ErrorDetail[]) => CodedException;
    throw new Rethrown(error.code, `${path}: ${error.message}`, details);
  }
}

function bodyPath(path: string, inner: string): string {
  if (path === 'ownedMessage') return inner.replace(/^message/, 'ownedMessage');
  if (path === 'key') return inner === 'key' ? 'key' : `key (${inner})`;
  return `${path} (${inner})`;
}
