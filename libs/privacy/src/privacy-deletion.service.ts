import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SyncService } from '@audiencekit/activation';
import { ApiException } from '@audiencekit/server-core';
import { DeletionRequest } from './deletion-request.schema';

/** What a deletion did: the API's 202 body and the audit record (no personal data in either). */
export interface DeletionRecord {
  id: string;
  identifierType: string;
  /** sha256 of the normalised identifier: lets an auditor check "was X deleted?" without storing X here. */
  valueSha256: string;
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
 * removes deleted and suppressed profiles; see libs/activation README).
 *
 * Kept, on purpose: the profile row as an empty tombstone (id and deleted_at only: activation
 * members, exposures and membership history refer to it by id, and lift reports stay correct);
 * the suppression entries (they must hold the identifier to match future data); the identifiers
 * stored on `activation_members` until the removal has been delivered (it is what the vendor
 * holds, and what the remove call must name); an audit row with a sha256 of the identifier.
 */
@Injectable()
export class PrivacyDeletionService {
  private readonly logger = new Logger(PrivacyDeletionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncs: SyncService,
  ) {}

  async delete(request: DeletionRequest, requestedBy: string | null = null): Promise<DeletionRecord> {
    const id = randomUUID();
    const erased = await this.dataSource.transaction((manager) => this.erase(manager, request));
    const removals = [];
    for (const activationId of erased.activationIds) removals.push(await this.requestRemoval(id, activationId, requestedBy));
    const record: DeletionRecord = {
      id,
      identifierType: request.identifierType,
      valueSha256: sha256(request.value),
      requestedAt: new Date().toISOString(),
      requestedBy,
      profileIds: erased.profileIds,
      deleted: erased.deleted,
      suppressions: erased.suppressions,
      removals,
    };
    await this.dataSource.query(
      `INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, 'privacy.deletion', 'privacy_deletion', $2, $3)`,
      [requestedBy, id, JSON.stringify(record)],
    );
    this.logger.log({ deletionId: id, profiles: erased.profileIds.length, removals: removals.length }, 'privacy deletion done');
    return record;
  }

  /** The audit record of a deletion (404 `deletion_not_found`). */
  async get(id: string): Promise<DeletionRecord> {
    const rows: { details: DeletionRecord }[] = await this.dataSource.query(
      `SELECT details FROM audit_log WHERE action = 'privacy.deletion' AND object_type = 'privacy_deletion' AND object_id = $1`,
      [id],
    );
    if (!rows[0]) throw new ApiException(404, 'deletion_not_found', `no privacy deletion ${id}`);
    return rows[0].details;
  }

  /** One transaction: either the person is fully erased and suppressed, or nothing changed. */
  private async erase(manager: EntityManager, request: DeletionRequest) {
    const profileIds = await this.profilesOf(manager, request);
    const identifiers: { type: string; value: string }[] = profileIds.length
      ? await manager.query(`SELECT DISTINCT type, value FROM identities WHERE profile_id = ANY($1::uuid[])`, [profileIds])
      : [];
    // The requested identifier is suppressed even when we hold nothing for it (erasure requested
    // before any data arrived must still keep that person out of every send).
    const suppressed = [
      { type: request.identifierType, value: request.value },
      ...identifiers,
      ...profileIds.map((profileId) => ({ type: 'profile_id', value: profileId })),
    ];
    const inserted: unknown[] = await manager.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason)
       SELECT type, value, 'all', $3 FROM unnest($1::text[], $2::text[]) AS s(type, value)
       ON CONFLICT (identifier_type, identifier_value, channel) DO NOTHING RETURNING id`,
      [suppressed.map((entry) => entry.type), suppressed.map((entry) => entry.value), SUPPRESSION_REASON],
    );
    const activations: { activation_id: string }[] = profileIds.length
      ? await manager.query(`SELECT DISTINCT activation_id FROM activation_members WHERE profile_id = ANY($1::uuid[]) AND state = 'present' ORDER BY activation_id`, [profileIds])
      : [];
    // Delivered identifiers are kept only where the vendor still holds the person (the remove
    // call must name them); on every other row (removed, sent, rejected, failed) they go now.
    await manager.query(`UPDATE activation_members SET identifiers = NULL WHERE profile_id = ANY($1::uuid[]) AND state <> 'present'`, [profileIds]);
    const events = await affected(manager, `DELETE FROM events WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
    const identities = await affected(manager, `DELETE FROM identities WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
    await manager.query(
      `UPDATE profiles SET traits = '{}', trait_timestamps = '{}', first_seen_at = NULL, last_seen_at = NULL, deleted_at = coalesce(deleted_at, now()), updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [profileIds],
    );
    return { profileIds, activationIds: activations.map((row) => row.activation_id), deleted: { events, identities }, suppressions: inserted.length };
  }

  /** The profile holding the identifier, and every profile merged into it; locked for the erasure. */
  private async profilesOf(manager: EntityManager, request: DeletionRequest): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `WITH RECURSIVE owner AS (
         SELECT profile_id AS id FROM identities WHERE type = $1 AND value = $2
         UNION SELECT p.id FROM profiles p JOIN owner o ON p.merged_into = o.id
       )
       SELECT p.id FROM profiles p JOIN owner o ON o.id = p.id ORDER BY p.id FOR UPDATE OF p`,
      [request.identifierType, request.value],
    );
    return rows.map((row) => row.id);
  }

  private async requestRemoval(deletionId: string, activationId: string, requestedBy: string | null): Promise<DeletionRecord['removals'][number]> {
    try {
      const run = await this.syncs.requestScheduled(activationId, { trigger: 'privacy_deletion', triggerKey: `deletion:${deletionId}`, requestedBy });
      return { activationId, syncRunId: run?.id ?? null };
    } catch (error) {
      // A paused or archived activation syncs nothing now: its next run removes the person.
      const note = error instanceof Error ? error.message : String(error);
      this.logger.warn({ deletionId, activationId, note }, 'removal sync not requested');
      return { activationId, syncRunId: null, note };
    }
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Rows affected by a DELETE (TypeORM answers `[rows, count]` on Postgres). */
async function affected(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result: unknown = await manager.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
