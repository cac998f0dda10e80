import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ActivationAdminModule, createPlaysSchema, JourneysAdminService, PlaysService } from '@audiencekit/activation-admin';
import { loadConnectors } from '@audiencekit/connector-registry';
import { ConfigModule, DatabaseModule, loadConfig, migrateDatabase, QUEUES, QueueModule } from '@audiencekit/server-core';
import { CliUsageException } from '../database';
import { EXIT, Print } from '../ops/ops-commands';

/** The journey and plays services of the admin API (issue #23), wired as the API wires them. */
export interface JourneyServices {
  journeys: JourneysAdminService;
  plays: PlaysService;
  close(): Promise<void>;
}

/**
 * A Nest context with the database, the job queue (producer) and libs/activation-admin with the
 * registry's connectors (`AK_CONNECTORS`): the plays check that each destination's connector can do
 * its play, exactly as `POST /plays` does.
 */
export async function openJourneysContext(databaseUrl: string | undefined): Promise<JourneyServices> {
  if (!databaseUrl)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  await migrateDatabase(config.DATABASE_URL, 'audiencekit-cli-migrate');
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(config, 'audiencekit-cli'),
      QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'producer' }),
      ActivationAdminModule.register({ connectors: () => loadConnectors() }),
    ],
  })
  class CliJourneysModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(CliJourneysModule, { logger: ['error', 'warn'] });
  return { journeys: app.get(JourneysAdminService), plays: app.get(PlaysService), close: () => app.close() };
}

/** `journeys list`: one line per journey — key, status, current version, entry segment, entered / in flight / goal reached. */
export async function journeysList(services: JourneyServices, print: Print): Promise<number> {
  const { items } = await services.journeys.list();
  if (items.length === 0) print('no journeys');
  for (const journey of items)
    print(
      `${journey.key}  ${journey.status}  v${journey.currentVersion}  entry ${journey.entrySegment?.key ?? '-'}  ` +
        `entered ${journey.entered}  in flight ${journey.inFlight}  goal reached ${journey.goalReached}  "${journey.name}"`,
    );
  return EXIT.ok;
}

/** `journeys show <id|key>`: the card, its versions, and the current definition's steps one per line. */
export async function journeysShow(services: JourneyServices, print: Print, ref: string): Promise<number> {
  const journey = await services.journeys.get(ref);
  const definition = journey.definition as {
    entrySegmentId?: string;
    goal?: { event: string; withinDays: number };
    holdoutShare?: number;
    steps?: { id: string; type: string; [field: string]: unknown }[];
  };
  print(`journey ${journey.key} (${journey.id}) "${journey.name}": ${journey.status}, version ${journey.currentVersion}`);
  print(`versions: ${journey.versions.map((version) => `v${version.version} ${version.createdAt.toISOString()}`).join(', ')}`);
  print(
    `entry segment ${definition.entrySegmentId}; goal ${definition.goal?.event} within ${definition.goal?.withinDays} days; holdout ${definition.holdoutShare}`,
  );
  for (const [index, step] of (definition.steps ?? []).entries()) {
    const { id, type, ...fields } = step;
    print(`  ${index + 1}. ${id} ${type} ${JSON.stringify(fields)}`);
  }
  return EXIT.ok;
}

/**
 * `plays create --intent <segment> --value <segment> --owned <dest> --retargeting <dest> --win-back <dest>
 * --paid-media <dest>[,<dest>] [--key k] [--offers "a|b|c"] [--wait-days 3]`: `POST /plays` from the
 * command line; a wrong option is named by the body field it fills (`destinations.owned …`).
 */
export async function playsCreate(services: JourneyServices, print: Print, options: Record<string, unknown>): Promise<number> {
  const text = (name: string) => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  const paidMedia = text('paid-media')
    ?.split(',')
    .map((ref) => ref.trim());
  const body = {
    intentSegment: text('intent'),
    valueSegment: text('value'),
    key: text('key'),
    destinations: { owned: text('owned'), retargeting: text('retargeting'), winBack: text('win-back'), paidMedia },
    offers: text('offers')
      ?.split('|')
      .map((offer) => offer.trim()),
    waitDays: text('wait-days') === undefined ? undefined : Number(text('wait-days')),
  };
  const parsed = createPlaysSchema.safeParse(body);
  if (!parsed.success)
    throw new CliUsageException(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'} ${issue.message}`).join('; '));
  const result = await services.plays.create(parsed.data, null);
  for (const segment of result.segments) print(`segment ${segment.key} (${segment.id}): ${segment.cell}`);
  for (const activation of result.activations) print(`activation ${activation.id} ${activation.play}: "${activation.name}"`);
  print(`paid-media exclusion: ${result.paidMediaExclusion.activationIds.length} activation(s) now exclude ${result.segments[3].key}`);
  print(
    result.frequencyCap
      ? `frequency cap ${result.frequencyCap.id} (${result.frequencyCap.reused ? 'reused' : 'created'}): ${result.frequencyCap.maxMessages} per ${result.frequencyCap.windowHours} h on ${result.frequencyCap.channel}`
      : 'no frequency cap: the retargeting channel is ads (set the frequency in the vendor campaign)',
  );
  print(
    `journey ${result.journey.key} (${result.journey.id}): ${result.journey.status}, publish it with POST /journeys/${result.journey.key}/publish`,
  );
  return EXIT.ok;
}

/** `journeys report <id|key>`: the totals, one line per step, and the goal's lift (or why not yet), as `GET /journeys/:ref/report`. */
export async function journeysReport(services: JourneyServices, print: Print, ref: string): Promise<number> {
  const report = await services.journeys.report(ref);
  const totals = report.totals;
  print(
    `journey ${report.journey.key} v${report.version}, goal ${report.goal.event} within ${report.goal.withinDays} days, as of ${report.asOf}`,
  );
  print(
    `entered ${totals.entered} (treatment ${totals.treatment}, control ${totals.control}, global holdout ${totals.globalHoldout}), ` +
      `in flight ${totals.inFlight}, goal reached ${totals.goalReached}, completed ${totals.completed}, exited ${totals.exited}`,
  );
  for (const step of report.steps)
    print(
      `  ${step.id} ${step.type}: entered ${step.entered}, sent ${step.sent}, waiting ${step.waiting}, ` +
        `branched ${step.branched.then}/${step.branched.else}, exited ${step.exited}, goal reached before it ${step.goalReached}, ` +
        `capped ${step.capped}, suppressed ${step.suppressed}, invalid ${step.invalid}, held out ${step.heldOut}, skipped ${step.skipped}, failed ${step.failed}`,
    );
  if (!report.lift.available) print(`lift: not available (${report.lift.reason})`);
  else {
    const arms = (report.lift.report as { arms?: Record<'treatment' | 'control', { members: number; conversions: number }> }).arms;
    print(
      `lift: treatment ${arms?.treatment.conversions}/${arms?.treatment.members}, control ${arms?.control.conversions}/${arms?.control.members} ` +
        '(the full report: GET /journeys/:ref/report)',
    );
  }
  return EXIT.ok;
}
