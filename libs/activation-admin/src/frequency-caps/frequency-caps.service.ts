import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { FrequencyCapEntity } from '@audiencekit/persistence';
import { ActivationAdminException } from '../activation-admin.exception';
import type { CreateFrequencyCapInput, FrequencyCapView, UpdateFrequencyCapInput } from './frequency-cap-input.schema';

/**
 * Frequency caps (issue #23): rows only; the sync engine enforces them right before each send
 * (libs/activation-engine `frequency/`). A change applies from the next sync run.
 */
@Injectable()
export class FrequencyCapsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(): Promise<{ items: FrequencyCapView[] }> {
    const rows = await this.dataSource.getRepository(FrequencyCapEntity).find({ order: { channel: 'ASC', windowHours: 'ASC', id: 'ASC' } });
    return { items: rows.map(toView) };
  }

  async get(id: string): Promise<FrequencyCapView> {
    return toView(await this.find(id));
  }

  async create(input: CreateFrequencyCapInput): Promise<FrequencyCapView> {
    return this.createWithin(this.dataSource.manager, input);
  }

  /** A cap written inside the caller's transaction (issue #23's plays create everything or nothing). */
  async createWithin(manager: EntityManager, input: CreateFrequencyCapInput): Promise<FrequencyCapView> {
    const repository = manager.getRepository(FrequencyCapEntity);
    return toView(await repository.save(repository.create(input)));
  }

  /** The caps on one channel, tightest window first. */
  async onChannel(manager: EntityManager, channel: FrequencyCapEntity['channel']): Promise<FrequencyCapView[]> {
    const rows = await manager.getRepository(FrequencyCapEntity).find({ where: { channel }, order: { windowHours: 'ASC', id: 'ASC' } });
    return rows.map(toView);
  }

  async update(id: string, input: UpdateFrequencyCapInput): Promise<FrequencyCapView> {
    const cap = await this.find(id);
    Object.assign(cap, Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)));
    return toView(await this.dataSource.getRepository(FrequencyCapEntity).save(cap));
  }

  async remove(id: string): Promise<void> {
    const cap = await this.find(id);
    await this.dataSource.getRepository(FrequencyCapEntity).delete({ id: cap.id });
  }

  private async find(id: string): Promise<FrequencyCapEntity> {
    const cap = z.uuid().safeParse(id).success ? await this.dataSource.getRepository(FrequencyCapEntity).findOneBy({ id }) : null;
    if (!cap) throw new ActivationAdminException('frequency_cap_not_found', `no frequency cap ${id}`);
    return cap;
  }
}

function toView(cap: FrequencyCapEntity): FrequencyCapView {
  return {
    id: cap.id,
    name: cap.name,
    channel: cap.channel,
    maxMessages: cap.maxMessages,
    windowHours: cap.windowHours,
    createdAt: cap.createdAt,
    updatedAt: cap.updatedAt,
  };
}
