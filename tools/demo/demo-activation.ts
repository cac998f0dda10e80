// The demo activation, run by `npm start` once the worker is up (AK_DEMO_PHASE=activation):
// creates the other nine RFM tier segments, waits for every demo segment's first refresh and prints
// their sizes, then sends the win-back
// candidates to a webhook destination — the local receiver start.mjs runs on 127.0.0.1, never a
// host outside this machine — with 20% held out: a dry run, a sync, synthetic conversions, and the
// lift report. Needs AK_API_URL, AK_DEMO_ADMIN_KEY, AK_DEMO_WEBHOOK_URL, AK_DEMO_WEBHOOK_SECRET.
import 'reflect-metadata';
import { In } from 'typeorm';
import { ActivationExposureEntity, createDataSource, IdentityEntity } from '@audiencekit/persistence';
import { adminApi, awaitFirstRefresh, Call, createSegments, poll, track } from './demo-api';
import { ExposedMember, syntheticConversions } from './demo-events';
import { DEMO_ACTIVATION_SEGMENT, DEMO_SEGMENTS, MORE_RFM_TIER_SEGMENTS } from './demo-segments';

/** The planted effect, stated in the output: the lift report should find about +6 points. */
export const CONVERSION_RATES = { treatment: 0.12, control: 0.06 };

interface SyncRun {
  id: string;
  status: string;
  counts: Record<string, number>;
  plan: Record<string, unknown> | null;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required for the demo activation`);
  return value;
}

/** Waits for each demo segment's first refresh; returns the ids by key. */
async function segmentSizes(api: Call, say: (line: string) => void): Promise<Map<string, string>> {
  const { items } = await api<{ items: { id: string; key: string }[] }>('GET', '/segments?limit=100');
  const ids = new Map(items.map((item) => [item.key, item.id]));
  const sizes: string[] = [];
  for (const { key } of [...DEMO_SEGMENTS, ...MORE_RFM_TIER_SEGMENTS]) {
    const run = await awaitFirstRefresh(api, key, ids.get(key) as string);
    sizes.push(`${key} ${run.status === 'succeeded' ? (run.size ?? 0).toLocaleString('en-US') : 'failed'}`);
  }
  say(`demo segment sizes: ${sizes.join(', ')}`);
  return ids;
}

/** The exposed members' arms and user ids, read from the tables the sync wrote. */
async function exposedMembers(databaseUrl: string, activationId: string): Promise<ExposedMember[]> {
  const dataSource = await createDataSource({ url: databaseUrl, poolSize: 2, applicationName: 'audiencekit-demo-seed' }).initialize();
  try {
    const exposures = await dataSource.getRepository(ActivationExposureEntity).findBy({ activationId, arm: In(['treatment', 'control']) });
    const identities = await dataSource
      .getRepository(IdentityEntity)
      .findBy({ type: 'user_id', profileId: In(exposures.map((exposure) => exposure.profileId)) });
    const userIds = new Map(identities.map((identity) => [identity.profileId, identity.value]));
    return exposures.flatMap((exposure) => {
      const userId = userIds.get(exposure.profileId);
      return userId ? [{ userId, arm: exposure.arm as ExposedMember['arm'] }] : [];
    });
  } finally {
    await dataSource.destroy();
  }
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(1)}%`);
const points = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}`;

async function createActivation(api: Call, segmentId: string): Promise<string> {
  const destination = await api<{ id: string }>('POST', '/destinations', {
    name: 'Demo CRM (local webhook receiver)',
    connector: 'webhook',
    settings: { url: required('AK_DEMO_WEBHOOK_URL') },
    secrets: { signingSecret: required('AK_DEMO_WEBHOOK_SECRET') },
  });
  const activation = await api<{ id: string }>('POST', '/activations', {
    name: 'Win-back candidates → demo CRM',
    segmentId,
    destinationId: destination.id,
    mode: 'mirror',
    holdoutShare: 0.2,
    schedule: 'manual',
  });
  return activation.id;
}

async function syncAndWait(api: Call, activationId: string): Promise<SyncRun> {
  const queued = await api<SyncRun>('POST', `/activations/${activationId}/sync`, {});
  return poll(
    'the demo sync',
    () => api<SyncRun>('GET', `/sync-runs/${queued.id}`),
    (run) => !['queued', 'running'].includes(run.status),
  );
}

/** Returns the demo activation's id (the orchestration demo adds an exclusion to it). */
export async function runDemoActivation(databaseUrl: string, say: (line: string) => void): Promise<string> {
  const apiUrl = required('AK_API_URL');
  const api = adminApi(apiUrl, required('AK_DEMO_ADMIN_KEY'));
  await createSegments(api, MORE_RFM_TIER_SEGMENTS);
  say(`demo RFM tier segments: ${MORE_RFM_TIER_SEGMENTS.map((segment) => segment.key).join(', ')} (refresh queued)`);
  const ids = await segmentSizes(api, say);
  const activationId = await createActivation(api, ids.get(DEMO_ACTIVATION_SEGMENT) as string);
  const dryRun = await api<SyncRun>('POST', `/activations/${activationId}/dry-run`, {});
  say(
    `demo activation ${activationId} (win-back candidates → webhook on 127.0.0.1, 20% held out); dry run: ${JSON.stringify(dryRun.counts)}`,
  );
  const run = await syncAndWait(api, activationId);
  if (run.status !== 'succeeded') throw new Error(`the demo sync ended ${run.status}: ${JSON.stringify(run)}`);
  say(`demo sync ${run.id}: ${run.status} ${JSON.stringify(run.counts)}`);

  const members = await exposedMembers(databaseUrl, activationId);
  const conversions = syntheticConversions(members, CONVERSION_RATES, Date.now());
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo conversions (synthetic)', role: 'write' });
  await track(apiUrl, secret, conversions);
  say(
    `demo conversions: ${conversions.length} SYNTHETIC Order Completed events after the sync (the demo makes ${percent(CONVERSION_RATES.treatment)} of treated and ${percent(CONVERSION_RATES.control)} of held-out members convert: a planted effect, not a measured one)`,
  );
  const { report } = await api<{ report: LiftSummary }>('GET', `/activations/${activationId}/lift`);
  const lift = report.conversion.absoluteLift;
  say(
    `demo lift report: treatment ${report.arms.treatment.conversions}/${report.arms.treatment.members} (${percent(report.arms.treatment.conversionRate)}), control ${report.arms.control.conversions}/${report.arms.control.members} (${percent(report.arms.control.conversionRate)}), absolute lift ${lift ? `${points(lift.estimate)} points (${Math.round(report.confidenceLevel * 100)}% interval ${points(lift.lower)} to ${points(lift.upper)})` : 'n/a'} — GET /activations/${activationId}/lift`,
  );
  return activationId;
}

interface LiftSummary {
  confidenceLevel: number;
  arms: Record<'treatment' | 'control', { members: number; conversions: number; conversionRate: number | null }>;
  conversion: { absoluteLift: { estimate: number; lower: number; upper: number } | null };
}
