import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { HOLDOUT_HASH_VERSION } from '@audiencekit/experimentation';
import { readGlobalHoldout, upsertGlobalHoldout } from './global-holdout.repository';

/** A share of all customers that no activation ever contacts; the salt never changes. */
export const globalHoldoutInputSchema = z.object({
  share: z.number().min(0).lt(1, 'must be less than 1 (1 would leave nobody to contact)'),
});

export interface GlobalHoldoutView {
  share: number;
  updatedAt: Date | null;
}

/**
 * Reads and sets the global holdout (table `global_holdout`, one row with id 1, created by the
 * activation engine's migration). The salt is drawn once, when the row is first written, with the
 * holdout hash version it is used with, and a PUT only ever changes the share, so nobody changes arm
 * except as the share says.
 */
@Injectable()
export class GlobalHoldoutService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get(): Promise<GlobalHoldoutView> {
    return (await readGlobalHoldout(this.dataSource.manager)) ?? { share: 0, updatedAt: null };
  }

  set(share: number): Promise<GlobalHoldoutView> {
    return upsertGlobalHoldout(this.dataSource.manager, share, randomBytes(16).toString('hex'), HOLDOUT_HASH_VERSION);
  }
}
