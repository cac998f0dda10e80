import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ArmInput,
  buildLiftReport,
  CupedSums,
  ExperimentationException,
  LiftReport,
  LiftReportInput,
  TimeWindow,
} from '@audiencekit/experimentation';
import { SegmentEntity } from '@audiencekit/persistence';
import { ActivationAdminException } from '../activation-admin.exception';
import { ActivationsService } from '../activations/activations.service';
import { ArmAggregate, KpiSpec, LiftDataRepository } from './lift-data.repository';
import { isoDurationDays, LiftQuery } from './lift-query.schema';

const DAY_MS = 86_400_000;

/** The lift report of an activation, with the stored data it was computed from. */
export interface ActivationLiftReport {
  activationId: string;
  segmentId: string;
  kpi: { event: string; windowDays: number; valueProperty: string | null };
  asOf: string;
  report: LiftReport;
}

/**
 * GET /activations/:id/lift: reads per-arm counts and sums from Postgres (exposures, KPI events,
 * the population baseline) and hands them to the experimentation lib's `buildLiftReport`, so the
 * report is exactly what the pure functions give for those numbers.
 *
 * Windows: each member's KPI window is [exposed_at, exposed_at + W) (cut at `asOf`), and the CUPED
 * covariate is the same KPI over [exposed_at − W, exposed_at). The report's `window` spans the first
 * exposure to the last member's window end (cut at `asOf`); the baseline uses that same window.
 */
@Injectable()
export class LiftReportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly activations: ActivationsService,
    private readonly data: LiftDataRepository,
  ) {}

  async report(activationId: string, query: LiftQuery): Promise<ActivationLiftReport> {
    const activation = await this.activations.findLive(activationId);
    const segment = await this.dataSource.getRepository(SegmentEntity).findOneBy({ id: activation.segmentId });
    if (!segment?.kpi)
      throw new ActivationAdminException(
        'kpi_not_configured',
        `segment ${activation.segmentId} has no success KPI: set its kpi (event, windowDays) to read a lift report`,
      );
    if (!(activation.holdoutShare > 0))
      throw new ActivationAdminException(
        'no_control_group',
        'the activation holds nobody back (holdoutShare 0): there is no control group to measure lift against',
      );
    const windowDays = (query.window ? isoDurationDays(query.window) : undefined) ?? query.windowDays ?? segment.kpi.windowDays;
    const kpi: KpiSpec = {
      event: segment.kpi.event,
      windowDays,
      valueProperties: segment.kpi.valueProperty ? [segment.kpi.valueProperty, segment.kpi.valueProperty] : ['revenue', 'value'],
    };
    const asOf = query.asOf ? new Date(query.asOf) : new Date();
    const input = await this.reportInput(activation.id, activation.holdoutShare, kpi, Boolean(segment.kpi.valueProperty), asOf, query);
    return {
      activationId: activation.id,
      segmentId: activation.segmentId,
      kpi: { event: kpi.event, windowDays, valueProperty: segment.kpi.valueProperty ?? null },
      asOf: asOf.toISOString(),
      report: build(input),
    };
  }

  /** The plain-number input of `buildLiftReport`, from one aggregate query per arm plus the baseline. */
  async reportInput(
    activationId: string,
    controlShare: number,
    kpi: KpiSpec,
    valueConfigured: boolean,
    asOf: Date,
    query: LiftQuery,
  ): Promise<LiftReportInput> {
    const [treatment, control] = [
      await this.data.arm(activationId, 'treatment', kpi, asOf),
      await this.data.arm(activationId, 'control', kpi, asOf),
    ];
    const window = reportWindow([treatment, control], kpi.windowDays, asOf);
    const withRevenue = valueConfigured || treatment.valuedEvents + control.valuedEvents > 0;
    const baseline = await this.data.baseline(kpi, { start: new Date(window.start), end: new Date(window.end) });
    const launchSize = query.plannedMembers ?? (await this.data.launchSize(activationId, asOf));
    const covariateWindow = { start: new Date(Date.parse(window.start) - kpi.windowDays * DAY_MS).toISOString(), end: window.start };
    return {
      controlShare,
      window,
      arms: { control: armInput(control, withRevenue), treatment: armInput(treatment, withRevenue) },
      baseline: {
        window,
        members: baseline.members,
        conversions: baseline.conversions,
        revenue: withRevenue ? { sum: baseline.revenueSum, sumOfSquares: baseline.revenueSumOfSquares } : null,
      },
      cuped: { metric: 'conversion', covariateWindow, control: cupedSums(control), treatment: cupedSums(treatment) },
      options: {
        alpha: query.alpha,
        srmThreshold: query.srmThreshold,
        power: query.power,
        targetRelativeLift: query.targetRelativeLift ?? null,
        // τ² tuned for the audience at launch (fixed after the first sync), so later looks keep
        // the always-valid guarantee; with fewer than 2 launch members the lib tunes at the sample.
        sequential: launchSize >= 2 ? { plannedMembers: launchSize } : null,
      },
    };
  }
}

/** [first exposure, min(last exposure + W, asOf)); with no exposures yet, the W before asOf. */
export function reportWindow(arms: ArmAggregate[], windowDays: number, asOf: Date): TimeWindow {
  const firsts = arms.map((arm) => arm.firstExposedAt?.getTime()).filter((time): time is number => time !== undefined);
  const lasts = arms.map((arm) => arm.lastExposedAt?.getTime()).filter((time): time is number => time !== undefined);
  const width = windowDays * DAY_MS;
  if (firsts.length === 0) return { start: new Date(asOf.getTime() - width).toISOString(), end: asOf.toISOString() };
  const start = Math.min(...firsts);
  // An exposure at asOf itself would make an empty window: keep it at least 1 ms wide.
  const end = Math.max(Math.min(Math.max(...lasts) + width, asOf.getTime()), start + 1);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

function armInput(arm: ArmAggregate, withRevenue: boolean): ArmInput {
  return {
    members: arm.members,
    conversions: arm.conversions,
    revenue: withRevenue ? { sum: arm.revenueSum, sumOfSquares: arm.revenueSumOfSquares } : null,
  };
}

// Y and X are 0/1 indicators, so ΣY² = ΣY and ΣX² = ΣX.
function cupedSums(arm: ArmAggregate): CupedSums {
  return { n: arm.members, sumY: arm.conversions, sumX: arm.sumX, sumYY: arm.conversions, sumXX: arm.sumX, sumXY: arm.sumXY };
}

function build(input: LiftReportInput): LiftReport {
  try {
    return buildLiftReport(input);
  } catch (error) {
    if (!(error instanceof ExperimentationException)) throw error;
    // Options come from the query (already range-checked); anything else means the stored data
    // cannot make a report, which the caller should see with the field the lib named.
    throw new ActivationAdminException(error.code, `cannot build the lift report: ${error.message}`, [
      { path: error.field, message: error.reason },
    ]);
  }
}
