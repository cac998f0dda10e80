import { Check, Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The one global holdout (id = 1): a share of all customers that no activation ever contacts. */
@Entity({ name: 'global_holdout' })
@Check('chk_global_holdout_single_row', `"id" = 1`)
@Check('chk_global_holdout_share', `"share" >= 0 AND "share" < 1`)
export class GlobalHoldoutEntity {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'double precision', default: 0 })
  share: number;

  @Column({ type: 'text' })
  salt: string;

  /** Version of the holdout hash the salt is used with (libs/experimentation `HOLDOUT_HASH_VERSION`), written with the salt. */
  @Column({ name: 'hash_version', type: 'smallint', default: 1 })
  hashVersion: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
