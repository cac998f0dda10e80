import { EntityManager } from 'typeorm';
import { AuditLogEntity } from '@audiencekit/persistence';

/**
 * The member export's queries. COPY takes no bind parameters, so the only value in its text is the
 * segment id, checked to be a UUID first, and the identifier kinds come from a closed list.
 * Golden SQL: `__golden__/segment-export.repository.sql`.
 */

export const EXPORT_IDENTIFIERS = ['email', 'phone', 'user_id', 'anonymous_id'] as const;
export type ExportIdentifier = (typeof EXPORT_IDENTIFIERS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `COPY … TO STDOUT` of a segment's current members as CSV with a header: `profile_id`, then one
 * column per identifier kind asked for (the profile's oldest identity of that kind; empty when it
 * has none), in profile id order. Postgres writes the CSV and streams it; nothing is gathered.
 * @throws {RangeError} when `segmentId` is not a UUID or a kind is not an export identifier.
 */
export function membersCsvCopySql(segmentId: string, identifiers: readonly ExportIdentifier[]): string {
  if (!UUID.test(segmentId)) throw new RangeError(`not a segment id: ${segmentId}`);
  const columns = identifiers.map((kind) => {
    if (!EXPORT_IDENTIFIERS.includes(kind)) throw new RangeError(`not an export identifier: ${String(kind)}`);
    return `(SELECT i.value FROM identities i WHERE i.profile_id = m.profile_id AND i.type = '${kind}' ORDER BY i.id LIMIT 1) AS ${kind}`;
  });
  const select = ['m.profile_id', ...columns].join(', ');
  return `COPY (SELECT ${select} FROM segment_memberships m WHERE m.segment_id = '${segmentId.toLowerCase()}' ORDER BY m.profile_id) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}

/** Who exported which segment with which identifiers (reads are not audited by the interceptor; exports of PII are). */
export async function insertExportAudit(
  manager: EntityManager,
  entry: { actorKeyId: string | null; segmentId: string; identifiers: readonly string[]; via: string },
): Promise<void> {
  await manager.getRepository(AuditLogEntity).insert({
    actorKeyId: entry.actorKeyId,
    action: 'segment_members.exported',
    objectType: 'segments',
    objectId: entry.segmentId,
    details: { identifiers: [...entry.identifiers], via: entry.via },
  });
}
