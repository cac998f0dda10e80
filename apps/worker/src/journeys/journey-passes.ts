import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JourneyEngine, JourneyEngineOptions } from '@audiencekit/journey-engine';
import { PeriodicPass } from '../app/periodic-pass';

/** How often a worker advances journeys (env `AK_JOURNEY_PASS_MS`, 20 ms to 60 s; default 1 s). */
export function journeyPassMs(env: NodeJS.ProcessEnv = process.env): number {
  return wholeBetween(env['AK_JOURNEY_PASS_MS'], 20, 60_000) ?? 1_000;
}

/** The engine's lease of a step at the vendor (env `AK_JOURNEY_LEASE_SECONDS`, 5 s to 1 day; default: the engine's 600 s). */
export function journeyEngineOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<JourneyEngineOptions> {
  const leaseSeconds = wholeBetween(env['AK_JOURNEY_LEASE_SECONDS'], 5, 86_400);
  return leaseSeconds === undefined ? {} : { leaseSeconds };
}

function wholeBetween(raw: string | undefined, min: number, max: number): number | undefined {
  const value = Number(raw);
  return raw !== undefined && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

/**
 * Advances journeys (issue #23) every `AK_JOURNEY_PASS_MS`: libs/journey-engine's `runPass` takes the
 * entry outbox into entries and applies one step to each due entry per round. Every worker process
 * runs it; they share entries through FOR UPDATE SKIP LOCKED. Stops before shutdown, waiting for the
 * pass in flight (a step at the vendor then has its outcome written).
 */
@Injectable()
export class JourneyPasses implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JourneyPasses.name);
  private readonly passes: PeriodicPass;

  constructor(private readonly engine: JourneyEngine) {
    this.passes = new PeriodicPass('journey pass', journeyPassMs(), () => this.pass(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async pass(): Promise<void> {
    const report = await this.engine.runPass(new Date());
    if (report.entered || report.steps) this.logger.debug(report, 'journeys advanced');
  }
}
