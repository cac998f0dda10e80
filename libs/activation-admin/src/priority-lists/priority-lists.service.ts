import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { z } from 'zod';
import { PriorityListEntity, PriorityListEntryEntity, SegmentEntity } from '@audiencekit/persistence';
import type { ErrorDetail } from '@audiencekit/util';
import { ActivationAdminException } from '../activation-admin.exception';
import { resolveSegmentRefs } from '../segment-refs';
import type {
  CreatePriorityListInput,
  PriorityListMembership,
  PriorityListView,
  UpdatePriorityListInput,
} from './priority-list-input.schema';
import { detachDeletedActivations, entryMemberCounts, liveActivationsOfList } from './priority-lists.repository';

/**
 * Priority lists (issue #23): ordered segments in which a profile belongs only to the highest entry
 * it qualifies for. Activations target an entry (`priorityList` + their segment); the sync engine
 * turns the higher entries into exclusions of the activation's diff.
 */
@Injectable()
export class PriorityListsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(input: CreatePriorityListInput): Promise<PriorityListView> {
    return this.dataSource.transaction(async (manager) => {
      const segmentIds = await resolveEntries(manager, input.entries);
      if (await manager.getRepository(PriorityListEntity).existsBy({ key: input.key }))
        throw new ActivationAdminException('priority_list_key_taken', `a priority list with key "${input.key}" exists`, [
          { path: 'key', message: 'is taken' },
        ]);
      const repository = manager.getRepository(PriorityListEntity);
      const list = await repository.save(repository.create({ key: input.key, name: input.name }));
      await replaceEntries(manager, list.id, segmentIds);
      return this.view(manager, list);
    });
  }

  async list(): Promise<{ items: PriorityListView[] }> {
    const lists = await this.dataSource.getRepository(PriorityListEntity).find({ order: { key: 'ASC' } });
    return { items: await Promise.all(lists.map((list) => this.view(this.dataSource.manager, list))) };
  }

  async get(ref: string): Promise<PriorityListView> {
    return this.view(this.dataSource.manager, await this.find(this.dataSource.manager, ref));
  }

  /** Members and exclusive members per entry, counted in SQL. */
  async membership(ref: string): Promise<PriorityListMembership> {
    const list = await this.find(this.dataSource.manager, ref);
    return { listId: list.id, entries: await entryMemberCounts(this.dataSource.manager, list.id) };
  }

  async update(ref: string, input: UpdatePriorityListInput): Promise<PriorityListView> {
    return this.dataSource.transaction(async (manager) => {
      const list = await this.find(manager, ref, true);
      if (input.entries !== undefined) {
        const segmentIds = await resolveEntries(manager, input.entries);
        // An activation targets its segment's entry: the entry may move, not leave the list.
        const orphaned = (await liveActivationsOfList(manager, list.id)).filter((activation) => !segmentIds.includes(activation.segmentId));
        if (orphaned.length)
          throw invalid([
            {
              path: 'entries',
              message: `must keep the segment of every activation targeting the list: activation "${orphaned[0].name}" (${orphaned[0].id}) targets segment ${orphaned[0].segmentId}`,
            },
          ]);
        await replaceEntries(manager, list.id, segmentIds);
      }
      if (input.name !== undefined) list.name = input.name;
      list.updatedAt = new Date();
      return this.view(manager, await manager.getRepository(PriorityListEntity).save(list));
    });
  }

  /** 409 `priority_list_in_use` while a live activation targets the list. */
  async remove(ref: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const list = await this.find(manager, ref, true);
      const live = await liveActivationsOfList(manager, list.id);
      if (live.length)
        throw new ActivationAdminException(
          'priority_list_in_use',
          `activation "${live[0].name}" (${live[0].id}) targets this list: change or delete it first`,
        );
      await detachDeletedActivations(manager, list.id);
      await manager.getRepository(PriorityListEntity).delete({ id: list.id });
    });
  }

  /** A list by id or key, or a 404. */
  async find(manager: EntityManager, ref: string, lock = false): Promise<PriorityListEntity> {
    const where = z.uuid().safeParse(ref).success ? { id: ref } : { key: ref };
    const list = await manager
      .getRepository(PriorityListEntity)
      .findOne({ where, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!list) throw new ActivationAdminException('priority_list_not_found', `no priority list ${ref}`);
    return list;
  }

  private async view(manager: EntityManager, list: PriorityListEntity): Promise<PriorityListView> {
    const entries = await manager.getRepository(PriorityListEntryEntity).find({ where: { listId: list.id }, order: { position: 'ASC' } });
    const keys = new Map(
      (entries.length
        ? await manager
            .getRepository(SegmentEntity)
            .find({ select: { id: true, key: true }, where: { id: In(entries.map((e) => e.segmentId)) } })
        : []
      ).map((segment) => [segment.id, segment.key]),
    );
    return {
      id: list.id,
      key: list.key,
      name: list.name,
      entries: entries.map((entry) => ({
        position: entry.position,
        segmentId: entry.segmentId,
        segmentKey: keys.get(entry.segmentId) ?? '',
      })),
      createdAt: list.createdAt,
      updatedAt: list.updatedAt,
    };
  }
}

/** Entries by key or id: each a live segment, each once (400 naming `entries[i]`). */
async function resolveEntries(manager: EntityManager, refs: readonly string[]): Promise<string[]> {
  const { segments, problems } = await resolveSegmentRefs(manager, refs, 'entries');
  const segmentIds: string[] = [];
  segments.forEach((segment, index) => {
    if (!segment) return;
    if (segmentIds.includes(segment.id))
      problems.push({ path: `entries[${index}]`, message: `segment ${segment.key} is already an entry` });
    segmentIds.push(segment.id);
  });
  if (problems.length) throw invalid(problems);
  return segmentIds;
}

async function replaceEntries(manager: EntityManager, listId: string, segmentIds: string[]): Promise<void> {
  const repository = manager.getRepository(PriorityListEntryEntity);
  await repository.delete({ listId });
  await repository.insert(segmentIds.map((segmentId, index) => ({ listId, position: index + 1, segmentId })));
}

function invalid(details: ErrorDetail[]): ActivationAdminException {
  return new ActivationAdminException(
    'invalid_request',
    `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
    details,
  );
}
