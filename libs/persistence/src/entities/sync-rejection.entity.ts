import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncRunEntity } from './sync-run.entity';

/** A member a sync run could not deliver, and why: rejected by the vendor, or out of retries. */
@Entity({ name: 'sync_rejections' })
export class SyncRejectionEntity {
  @PrimaryColumn({ name: 'sync_run_id', type: 'uuid' })
  syncRunId: string;

  @ManyToOne(() => SyncRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sync_run_id', foreignKeyConstraintName: 'fk_sync_rejections_sync_run' })
  syncRun?: SyncRunEntity;

  @PrimaryColumn({ name: 'profile_id', type: 'uuid' })
  profileId: string;

  /** `rejected` (the vendor said no; not retried) or `failed` (retries exhausted, batch failed). */
  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text', nullable: true })
  code: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
