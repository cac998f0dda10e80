import { EntityManager, In, IsNull } from 'typeorm';
import { z } from 'zod';
import { SegmentEntity } from '@audiencekit/persistence';
import type { ErrorDetail } from '@audiencekit/util';

/**
 * Live segments named by key or id (exclusions, priority-list entries; issue #23), in the order
 * given: a ref that names none is a problem at `<path>[i]`.
 */
export async function resolveSegmentRefs(
  manager: EntityManager,
  refs: readonly string[],
  path: string,
): Promise<{ segments: (Pick<SegmentEntity, 'id' | 'key'> | undefined)[]; problems: ErrorDetail[] }> {
  const uuids = refs.filter((ref) => z.uuid().safeParse(ref).success);
  const found = refs.length
    ? await manager.getRepository(SegmentEntity).find({
        select: { id: true, key: true },
        where: [{ key: In([...refs]), deletedAt: IsNull() }, ...(uuids.length ? [{ id: In(uuids), deletedAt: IsNull() }] : [])],
      })
    : [];
  const segments = refs.map((ref) => found.find((candidate) => candidate.id === ref) ?? found.find((candidate) => candidate.key === ref));
  const problems = segments.flatMap((segment, index) =>
    segment ? [] : [{ path: `${path}[${index}]`, message: `no segment with key or id "${refs[index]}"` }],
  );
  return { segments, problems };
}
