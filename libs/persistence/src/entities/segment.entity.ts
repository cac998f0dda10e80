import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type SegmentStatus = 'active' | 'paused' | 'archived';

/** The documentation card of a segment; its definition lives in immutable segment versions. */
@Entity({ name: 'segments' })
@Index('uq_segments_key', ['key'], { unique: true })
export class SegmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'text' })
  owner: string;

  /** A cron expression, `manual`, or `realtime` (evaluated on every change; a daily refresh reconciles). */
  @Column({ name: 'refresh_cadence', type: 'text', default: 'manual' })
  refreshCadence: string;

  /** Cluster / propensity segments: a cron expression on which the worker refits the model into a new version; null: only when asked. */
  @Column({ name: 'refit_cadence', type: 'text', nullable: true })
  refitCadence: string | null;

  /** Success KPI: `{ event: string, windowDays: number, valueProperty?: string }`. */
  @Column({ type: 'jsonb', nullable: true })
  kpi: { event: string; windowDays: number; valueProperty?: string } | null;

  @Column({ type: 'text', default: 'active' })
  status: SegmentStatus;

  /** Quality thresholds checked on every run: `{ minSize, maxChurn }` (churn as a share of the previous size). */
  @Column({ name: 'quality_thresholds', type: 'jsonb', default: () => `'{"minSize": 100, "maxChurn": 0.5}'` })
  qualityThresholds: { minSize: number; maxChurn: number };

  @Column({ name: 'current_version', type: 'integer', default: 1 })
  currentVersion: number;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
