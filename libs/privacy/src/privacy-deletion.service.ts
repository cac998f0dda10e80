import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SyncService } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig, SecretBox } from '@audiencekit/server-core';
import { AuditDigest, auditDigest } from './audit-digest';
import { DeletionRequest } from './deletion-request.schema';
import {
  activationsHolding,
  clearDeliveredIdentifiers,
  deleteEvents,
  deleteDerivedValues,
  deleteIdentities,
  emptyProfiles,
  touchForRealtime,
  findDeletionAudit,
  forgetVendorTexts,
  identifiersOf,
  insertDeletionAudit,
  lockProfilesOf,
  suppressAll,
} from './privacy-deletion.repository';
import { PrivacyException } from './privacy.exception';

/** What a deletion did: the API's 202 body and the audit record (no personal data in either). */
export interface DeletionRecord {
  id: string;
  identifierType: string;
  /**
   * HMAC-SHA256 of the normalised identifier under a key derived from AK_SECRETS_KEYS (see
   * audit-digest.ts): lets the server check "was X deleted?" without storing X, and cannot be
   * reversed by hashing guesses. null when the server has no key ring (then nothing is stored).
   */
  valueHmac: AuditDigest | null;
  requestedAt: string;
  requestedBy: string | null;
  /** Profile ids (pseudonymous) whose data was erased; the rows stay as empty tombstones. */
  profileIds: string[];
  deleted: { events: number; identities: number };
  /** Identifiers now on the suppression list, channel `all` (the person's every known identifier). */
  suppressions: number;
  /** One sync per activation whose destination holds the person: its mirror run removes them. */
  removals: { activationId: string; syncRunId: string | null; note?: string }[];
}

const SUPPRESSION_REASON = 'deleted on request (privacy)';

/**
 * GDPR-style erasure of a person, by one identifier: everything we hold about them is removed
 * (events, traits, identities), every identifier they had goes on the suppression list (channel
 * `all`, so they are never contacted again and a later event carrying the same email creates a
 * fresh profile that the sync engine filters out), and each activation whose destination holds
 * them gets a sync requested, whose diff removes them from the vendor (the engine's mirror logic
 * removes deleted and suppressed profiles; see libs/activation-engine README).
 *
 * Kept, on purpose: the profile row as an empty tombstone (id and deleted_at only: activation
 * members, exposures and membership history refer to it by id, and lift reports stay correct);
 * the suppression entries (they must hold the identifier to match future data); the identifiers
 * stored on `activation_members` until the removal has been delivered (it is what the vendor
 * holds, and what the remove call must name; the delivered remove clears them); an audit row with
 * a keyed hash of the identifier (or none without a key ring).
 */
@Injectable()
export class PrivacyDeletionService {
  private readonly logger = new Logger(PrivacyDeletionService.name);
  private readonly box: SecretBox | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncs: SyncService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.box = config.AK_SECRETS_KEYS ? new SecretBox(config.AK_SECRETS_KEYS) : null;
  }

  async delete(request: DeletionRequest, requestedBy: string | null = null): Promise<DeletionRecord> {
    const id = randomUUID();
    const erased = await this.dataSource.transaction((manager) => this.erase(manager, request));
    const removals = [];
    for (const activationId of erased.activationIds) removals.push(await this.requestRemoval(id, activationId, requestedBy));
    const record: DeletionRecord = {
      id,
      identifierType: request.identifierType,
      valueHmac: auditDigest(this.box, request.value),
      requestedAt: new Date().toISOString(),
      requestedBy,
      profileIds: erased.profileIds,
      deleted: erased.deleted,
      suppressions: erased.suppressions,
      removals,
    };
    await insertDeletionAudit(this.dataSource.manager, id, requestedBy, record);
    this.logger.log({ deletionId: id, profiles: erased.profileIds.length, removals: removals.length }, 'privacy deletion done');
    return record;
  }

  /** The audit record of a deletion (404 `deletion_not_found`). */
  async get(id: string): Promise<DeletionRecord> {
    const record = await findDeletionAudit<DeletionRecord>(this.dataSource.manager, id);
    if (!record) throw new PrivacyException('deletion_not_found', `no privacy deletion ${id}`);
    return record;
  }

  /** One transaction: either the person is fully erased and suppressed, or nothing changed. */
  private async erase(manager: EntityManager, request: DeletionRequest) {
    const profileIds = await lockProfilesOf(manager, { type: request.identifierType, value: request.value });
    const identifiers = await identifiersOf(manager, profileIds);
    // The requested identifier is suppressed even when we hold nothing for it (erasure requested
    // before any data arrived must still keep that person out of every send).
    const suppressions = await suppressAll(
      manager,
      [
        { type: request.identifierType, value: request.value },
        ...identifiers,
        ...profileIds.map((profileId) => ({ type: 'profile_id', value: profileId })),
      ],
      SUPPRESSION_REASON,
    );
    const activationIds = await activationsHolding(manager, profileIds);
    // Delivered identifiers are kept only where the vendor still holds the person (the remove
    // call must name them, and the delivered remove clears them); on every other row they go now.
    await clearDeliveredIdentifiers(manager, profileIds);
    await forgetVendorTexts(manager, profileIds, [request.value, ...identifiers.map((identifier) => identifier.value)]);
    const events = await deleteEvents(manager, profileIds);
    const identities = await deleteIdentities(manager, profileIds);
    await deleteDerivedValues(manager, profileIds);
    await emptyProfiles(manager, profileIds);
    // Real time takes the erased profiles out of its segments (same transaction: never missed).
    await touchForRealtime(manager, profileIds);
    return { profileIds, activationIds, deleted: { events, identities }, suppressions };
  }

  private async requestRemoval(
    deletionId: string,
    activationId: string,
    requestedBy: string | null,
  ): Promise<DeletionRecord['removals'][number]> {
    try {
      const run = await this.syncs.requestScheduled(activationId, {
        trigger: 'privacy_deletion',
        triggerKey: `deletion:${deletionId}`,
        requestedBy,
      });
      return { activationId, syncRunId: run?.id ?? null };
    } catch (error) {
      // A paused or archived activation syncs nothing now: its next run removes the person.
      const note = error instanceof Error ? error.message : String(error);
      this.logger.warn({ deletionId, activationId, note }, 'removal sync not requested');
      return { activationId, syncRunId: null, note };
    }
  }
}
