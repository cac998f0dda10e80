import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { HOLDOUT_HASH_VERSION } from '@audiencekit/experimentation';

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
    const [row] = await this.dataSource.query(`SELECT share, updated_at FROM global_holdout WHERE id = 1`);
    return row ? { share: Number(row.share), updatedAt: row.updated_at } : { share: 0, updatedAt: null };
  }

  async set(share: number): Promise<GlobalHoldoutView> {
    const [row] = await this.dataSource.query(
      `INSERT INTO global_holdout (id, share, salt, hash_version, updated_at) VALUES (1, $1, $2, $3, now())
       ON CONFLICT (id) DO UPDATE SET share = EXCLUDED.share, updated_at = now()
       RETURNING share, updated_at`,
      [share, randomBytes(16).toString('hex'), HOLDOUT_HASH_VERSION],
    );
    return { share: Number(row.share), updatedAt: row.updated_at };
  }
}
