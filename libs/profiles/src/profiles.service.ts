import { profileValues } from '@audiencekit/segments-service';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { createArmResolver, isInGlobalHoldout, type HoldoutSplit } from '@audiencekit/experimentation';
import { normalizeEmail, normalizePhone } from '@audiencekit/identity';
import { isUuid } from '@audiencekit/util';
import * as repo from './profiles.repository';
import { ProfilesException } from './profiles.exception';
import type { LookupKind, ProfileDetail, ProfileEventsPage, ProfileLookup } from './profile-view';

const IDENTITY_TYPE: Record<Exclude<LookupKind, 'profileId'>, string> = {
  email: 'email',
  phone: 'phone',
  userId: 'user_id',
  anonymousId: 'anonymous_id',
};

/**
 * "Who is this person": lookup by any identifier (normalised as ingestion normalises it; a merged
 * profile resolves to the profile that absorbed it) and the whole picture of one profile. Reads
 * only; identifiers come back in the clear, the API masks them below admin.
 */
@Injectable()
export class ProfilesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `field` names the input in a refusal (the API passes `query.email`).
   * @throws ProfilesException `invalid_lookup` (naming the field) when the identifier does not
   *   normalise; `unknown_profile` when nothing matches or the profile was erased.
   */
  async lookup(kind: LookupKind, raw: string, options: { phoneCountry?: string; field?: string } = {}): Promise<ProfileLookup> {
    const manager = this.dataSource.manager;
    const value = normalised(kind, raw, options.phoneCountry, options.field ?? kind);
    const found = kind === 'profileId' ? value : await repo.profileIdByIdentity(manager, IDENTITY_TYPE[kind], value);
    const winner = found === undefined ? undefined : await repo.mergeWinnerOf(manager, found);
    const row = winner === undefined ? undefined : await repo.profileRow(manager, winner);
    if (!found || !row || row.deleted_at) throw new ProfilesException('unknown_profile', `no profile has ${kind} ${raw}`);
    return { profileId: row.id, matched: { kind, value, profileId: found, merged: found !== row.id } };
  }

  /** Everything about one live profile (a merged id resolves to its winner). */
  async detail(profileId: string): Promise<ProfileDetail> {
    const manager = this.dataSource.manager;
    const row = await this.liveProfile(manager, profileId);
    const identities = await repo.identitiesOf(manager, row.id);
    const [traits, memberships, activations, holdout, suppressions, merges] = [
      await this.traits(manager, row),
      await repo.membershipsOf(manager, row.id),
      await repo.activationsFor(manager, row.id),
      await repo.globalHoldout(manager),
      await repo.suppressionsOf(manager, identities),
      await repo.mergedInto(manager, row.id),
    ];
    const memberOf = new Set(memberships.map((membership) => membership.segment_id));
    const global: HoldoutSplit | null =
      holdout && holdout.share > 0 ? { salt: holdout.salt, share: holdout.share, hashVersion: holdout.hash_version } : null;
    return {
      id: row.id,
      firstSeenAt: iso(row.first_seen_at),
      lastSeenAt: iso(row.last_seen_at),
      createdAt: new Date(row.created_at).toISOString(),
      identities: identities.map((identity) => ({
        type: identity.type,
        value: identity.value,
        since: new Date(identity.created_at).toISOString(),
      })),
      traits,
      computedTraits: (await profileValues(manager, row.id)).map((derived) => ({
        key: derived.key,
        value: derived.value,
        source: derived.sourceKind,
        sourceId: derived.sourceId,
        version: derived.sourceVersion,
        computedAt: new Date(derived.computedAt).toISOString(),
      })),
      memberships: memberships.map((membership) => ({
        segmentId: membership.segment_id,
        key: membership.key,
        name: membership.name,
        refreshCadence: membership.refresh_cadence,
        since: new Date(membership.entered_at).toISOString(),
        cause: membership.run_id === null ? ('realtime' as const) : ('refresh' as const),
        runId: membership.run_id,
        version: membership.version,
        currentVersion: membership.current_version,
      })),
      activations: activations.map((activation) => ({
        activationId: activation.id,
        name: activation.name,
        segmentId: activation.segment_id,
        segmentKey: activation.segment_key,
        mode: activation.mode,
        status: activation.status,
        holdoutShare: activation.holdout_share,
        hashVersion: activation.holdout_hash_version,
        // The engine's own resolver: global holdout first, then the activation's salt and hash version.
        arm: createArmResolver({
          globalHoldout: global,
          activation: { salt: activation.holdout_salt, share: activation.holdout_share, hashVersion: activation.holdout_hash_version },
        })(row.id),
        exposed: activation.exposed_arm ? { arm: activation.exposed_arm, at: new Date(activation.exposed_at as Date).toISOString() } : null,
        memberOfSegment: memberOf.has(activation.segment_id),
      })),
      globalHoldout: holdout
        ? {
            share: holdout.share,
            hashVersion: holdout.hash_version,
            member: global !== null && isInGlobalHoldout(global.salt, row.id, global.share),
          }
        : null,
      suppressions: suppressions.map((suppression) => ({
        identifierType: suppression.identifier_type,
        identifierValue: suppression.identifier_value,
        channel: suppression.channel,
        reason: suppression.reason,
        since: new Date(suppression.created_at).toISOString(),
      })),
      consent: consentOf(row.traits),
      merges: merges.map((merge) => ({
        profileId: merge.id,
        mergedInto: merge.merged_into,
        mergedAt: new Date(merge.merged_at).toISOString(),
        depth: merge.depth,
      })),
    };
  }

  /** The profile's events, newest first, filtered by name and [from, to). */
  async events(profileId: string, filter: repo.EventsFilter): Promise<ProfileEventsPage> {
    const manager = this.dataSource.manager;
    const row = await this.liveProfile(manager, profileId);
    const rows = await repo.eventsPage(manager, row.id, filter);
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map((event) => ({
        id: String(event.id),
        messageId: event.message_id,
        type: event.type,
        name: event.name,
        timestamp: new Date(event.timestamp).toISOString(),
        receivedAt: new Date(event.received_at).toISOString(),
        properties: event.properties ?? {},
        sourceId: event.source_id,
      })),
      nextOffset: rows.length > filter.limit ? filter.offset + filter.limit : null,
    };
  }

  /** A live profile by id; a merged id resolves to its winner. @throws ProfilesException `unknown_profile`. */
  async liveProfile(manager: EntityManager, profileId: string): Promise<repo.ProfileRow> {
    const winner = isUuid(profileId) ? await repo.mergeWinnerOf(manager, profileId) : undefined;
    const row = winner === undefined ? undefined : await repo.profileRow(manager, winner);
    if (!row || row.deleted_at) throw new ProfilesException('unknown_profile', `no profile with id ${profileId}`);
    return row;
  }

  /**
   * Each trait with the time it was set and its source. Decision: the source is not stored per
   * trait; it is derived from the identify event that carries the trait at exactly that time
   * (`trait_timestamps` is the event time of the value held, so that event set it).
   */
  private async traits(manager: EntityManager, row: repo.ProfileRow): Promise<ProfileDetail['traits']> {
    const timestamps = row.trait_timestamps ?? {};
    const times = [...new Set(Object.values(timestamps))];
    const identifies = times.length === 0 ? [] : await repo.identifiesAt(manager, row.id, times);
    return Object.keys(row.traits ?? {})
      .sort()
      .map((key) => {
        const setAt = timestamps[key] ?? null;
        const setBy =
          setAt === null
            ? undefined
            : identifies.find((event) => sameInstant(event.timestamp, setAt) && event.traits && key in event.traits);
        return {
          key,
          value: row.traits[key],
          setAt: setAt === null ? null : new Date(setAt).toISOString(),
          source: setBy ? { messageId: setBy.message_id, sourceId: setBy.source_id } : null,
        };
      });
  }
}

/** The identifier as ingestion stores it. @throws ProfilesException `invalid_lookup` naming the field. */
function normalised(kind: LookupKind, raw: string, phoneCountry: string | undefined, field: string): string {
  const refuse = (message: string) => new ProfilesException('invalid_lookup', `${kind} ${message}`, [{ path: field, message }]);
  switch (kind) {
    case 'email': {
      const email = normalizeEmail(raw);
      if (!email) throw refuse('is not an email address');
      return email;
    }
    case 'phone': {
      const phone = normalizePhone(raw, phoneCountry);
      if (!phone) throw refuse('is not a valid phone number (write +<country code>… or pass country)');
      return phone;
    }
    case 'profileId':
      if (!isUuid(raw.trim())) throw refuse('must be a UUID');
      return raw.trim().toLowerCase();
    default:
      if (raw.length === 0) throw refuse('must not be empty');
      return raw; // ids are opaque: kept as sent, as ingestion keeps them
  }
}

/** Consent as eligibility reads it: trait `unsubscribed` and the `consent` object of categories. */
function consentOf(traits: Record<string, unknown>): ProfileDetail['consent'] {
  const consent = traits['consent'];
  return {
    unsubscribed: traits['unsubscribed'] === true,
    categories: consent && typeof consent === 'object' && !Array.isArray(consent) ? (consent as Record<string, unknown>) : {},
  };
}

function sameInstant(a: Date, b: string): boolean {
  return new Date(a).getTime() === new Date(b).getTime();
}

function iso(value: Date | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
