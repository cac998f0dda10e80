// The seed's four plays in one step (issue #23), run by `npm start` after the orchestration demo,
// through the admin and tracking APIs:
//   1. an SMS destination: the Twilio connector pointed at the demo SMS vendor on 127.0.0.1 (the
//      Twilio plugin's fake, tools/demo/sms-receiver.ts); the VIP customers get SYNTHETIC phone
//      numbers (555-0100 to 555-0199, reserved for fiction: never a real handset) by an identify each;
//   2. a frequency cap of three SMS a day, and an SMS newsletter to the champions sent first (so the
//      champions among the VIPs have one SMS of the day behind them);
//   3. `POST /plays` from the intent segment cart-abandoner and the value segment vip: the four
//      quadrant segments, the owned SMS send, the retargeting audience (the demo CRM webhook), the
//      paid-media exclusion (on the demo CRM's activation) and the win-back journey (draft);
//   4. the journey's waits shortened from days to seconds (a new version, `PUT /journeys/:key/definition`),
//      published, then the quadrants refreshed: the low intent ∧ high value members enter it;
//   5. after the first offer, SYNTHETIC conversions (a planted effect, said so in the output): a third
//      of the entries order, and the worker exits them `goal_reached` before the next offer;
//   6. the journey's report, and the SMS vendor's outbox read to show no control entry got a message.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createDataSource, JourneyEntryEntity } from '@audiencekit/persistence';
import { adminApi, awaitFirstRefresh, Call, poll, track } from './demo-api';

/** Seconds between two offers in the demo (the plays create the journey with days). */
export const DEMO_OFFER_WAIT_SECONDS = 6;
/** The cap the demo sets on SMS: the newsletter and two offers fill it, so a champion's third offer is capped. */
const SMS_CAP = { name: 'three SMS a day', channel: 'sms', maxMessages: 3, windowHours: 24 };

interface Segment {
  id: string;
  key: string;
}

interface PlaysResult {
  segments: { cell: string; id: string; key: string }[];
  activations: { id: string; play: string }[];
  journey: { id: string; key: string; status: string; currentVersion: number };
}

interface JourneyView {
  key: string;
  status: string;
  currentVersion: number;
  definition: {
    goal: { event: string; withinDays: number };
    steps: { id: string; type: string; seconds?: number; message?: { text?: string } }[];
  } & Record<string, unknown>;
}

interface StepCounts {
  id: string;
  type: string;
  sent: number;
  capped: number;
  goalReached: number;
  /** The pre-send filters, told apart (older reports counted them all as `skipped`). */
  suppressed?: number;
  heldOut?: number;
  invalid?: number;
  skipped: number;
  rejected: number;
  failed: number;
}

interface JourneyReport {
  totals: { entered: number; treatment: number; control: number; inFlight: number; goalReached: number };
  steps: StepCounts[];
}

interface SyncRun {
  id: string;
  status: string;
  counts: Record<string, number>;
}

/** A deterministic third of the customers (by user id), the planted converters. */
const converts = (userId: string): boolean => createHash('sha256').update(`demo-win-back:${userId}`).digest()[0] % 3 === 0;

/**
 * The n-th fictional number: 555-0100 to 555-0199 of a North American area code (201, 202, …), the
 * numbers NANPA reserves for fiction. Ofcom's drama range (+44 7700 900xxx) would be the obvious
 * choice, but libphonenumber (and so our identity normalisation) rightly refuses it as invalid.
 */
const fictionalNumber = (n: number): string => `+1${201 + Math.floor(n / 100)}55501${String(n % 100).padStart(2, '0')}`;

export async function runPlaysDemo(apiUrl: string, adminKey: string, databaseUrl: string, say: (line: string) => void): Promise<void> {
  const api = adminApi(apiUrl, adminKey);
  const membersOf = (segmentId: string) => segmentMembers(apiUrl, adminKey, segmentId);
  const accountSid = process.env.AK_DEMO_SMS_ACCOUNT_SID;
  const authToken = process.env.AK_DEMO_SMS_AUTH_TOKEN;
  const outbox = process.env.AK_DEMO_SMS_OUTBOX;
  if (!accountSid || !authToken || !outbox) {
    say('demo plays skipped: the demo SMS vendor did not start');
    return;
  }
  const { items } = await api<{ items: Segment[] }>('GET', '/segments?limit=100');
  const segmentId = (key: string) => items.find((segment) => segment.key === key)?.id as string;

  const sms = await api<{ id: string; name: string }>('POST', '/destinations', {
    name: 'Demo SMS (local Twilio fake)',
    connector: 'twilio',
    settings: { accountSid, from: 'AudienceKit', senderType: 'short_code' },
    secrets: { authToken },
  });
  const phones = await givePhones(apiUrl, api, await membersOf(segmentId('vip')));
  await api('POST', '/frequency-caps', SMS_CAP);
  const newsletter = await sendNewsletter(api, sms.id, segmentId('champions'));
  say(
    `demo SMS: destination "${sms.name}" (Twilio connector → the Twilio fake on 127.0.0.1), ${phones.size} VIP customers given SYNTHETIC fictional numbers (555-01xx), cap "${SMS_CAP.name}", newsletter to champions ${newsletter.status}: ${newsletter.counts.sent ?? 0} sent (the others have no phone)`,
  );

  const plays = await api<PlaysResult>('POST', '/plays', {
    intentSegment: 'cart-abandoner',
    valueSegment: 'vip',
    destinations: {
      owned: sms.id,
      retargeting: 'Demo CRM (local webhook receiver)',
      winBack: sms.id,
      paidMedia: 'Demo CRM (local webhook receiver)',
    },
    holdoutShare: 0.2,
  });
  const quadrants = new Map(plays.segments.map((segment) => [segment.cell, segment]));
  say(
    `demo plays cart-abandoner × vip: quadrants ${plays.segments.map((segment) => segment.key).join(', ')}; activations ${plays.activations.map((activation) => activation.play).join(', ')}; win-back journey ${plays.journey.key} (${plays.journey.status})`,
  );

  const journey = await shortenWaits(api, plays.journey.key);
  await api('POST', `/journeys/${journey.key}/publish`);
  // Entries come from the entry segment's changes from now on: refresh the quadrants after publishing.
  for (const segment of plays.segments) await api('POST', `/segments/${segment.id}/refresh`);
  const winBack = quadrants.get('low_intent_high_value') as { id: string; key: string };
  const refreshed = await awaitFirstRefresh(api, winBack.key, winBack.id);
  const entrants = refreshed.size ?? 0;
  const report = (): Promise<JourneyReport> => api<JourneyReport>('GET', `/journeys/${journey.key}/report`);
  const entered = await poll('the win-back entries', report, (r) => r.totals.entered >= entrants, 60_000);
  say(
    `demo win-back journey ${journey.key} live (version ${journey.currentVersion}: 3 offers ${DEMO_OFFER_WAIT_SECONDS} s apart): ${entered.totals.entered} entries (treatment ${entered.totals.treatment}, control ${entered.totals.control}) from ${winBack.key}`,
  );

  // After the first offer: a planted third of the entries (both arms) order.
  const firstOffer = await poll('the first offer', report, (r) => settled(r.steps[0], r.totals.treatment), 60_000);
  const members = await membersOf(winBack.id);
  const converters = members.filter((member) => converts(member.userId));
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo win-back conversions (synthetic)', role: 'write' });
  const now = Date.now();
  await track(
    apiUrl,
    secret,
    converters.map((member) => ({
      type: 'track',
      messageId: `demo-win-back-order-${member.userId}-${now}`,
      userId: member.userId,
      event: journey.definition.goal.event,
      timestamp: new Date(now).toISOString(),
      properties: { revenue: 40, synthetic: true },
    })),
  );
  say(
    `demo win-back offer_1 sent ${firstOffer.steps[0].sent}; then ${converters.length} SYNTHETIC ${journey.definition.goal.event} events (a third of the entries, both arms: a planted effect, not a measured one)`,
  );

  const done = await poll(
    'the win-back journey to finish its treated entries',
    report,
    (r) => r.totals.inFlight <= r.totals.control && r.steps.every((step) => step.type !== 'send' || settled(step, 0)),
    120_000,
  );
  const sends = done.steps.filter((step) => step.type === 'send');
  say(`demo win-back steps: ${sends.map((step) => `${step.id} sent ${step.sent}, capped ${step.capped}`).join('; ')}`);
  say(
    `demo win-back goal reached: ${done.totals.goalReached} entries exited on ${journey.definition.goal.event} before their next offer; capped ${sends.reduce((sum, step) => sum + step.capped, 0)} (cap "${SMS_CAP.name}": the champions' newsletter and two offers)`,
  );
  const offers = new Set(
    journey.definition.steps.flatMap((step) => (step.type === 'send' && step.message?.text ? [step.message.text] : [])),
  );
  const sent = sends.reduce((sum, step) => sum + step.sent, 0);
  const received = await offersReceivedByArm(databaseUrl, plays.journey.id, members, phones, { outbox, offers, sent });
  say(
    `demo win-back control: ${done.totals.control} entries, ${received.control} offers received by them; treated entries received ${received.treatment} (the SMS vendor's outbox) — GET /journeys/${journey.key}/report`,
  );
}

/** A send step with every treated entry accounted for (sent, capped, skipped by a filter, rejected or failed). */
function settled(step: StepCounts | undefined, atLeast: number): boolean {
  if (!step) return false;
  const filtered = (step.suppressed ?? 0) + (step.heldOut ?? 0) + (step.invalid ?? 0) + step.skipped;
  return step.sent + step.capped + filtered + step.rejected + step.failed >= atLeast;
}

/** Every VIP customer gets a synthetic phone number by an identify (POST /v1/batch); returns user id → number. */
async function givePhones(apiUrl: string, api: Call, members: { userId: string }[]): Promise<Map<string, string>> {
  const phones = new Map(members.map((member, index) => [member.userId, fictionalNumber(index)]));
  // A server key: a client key may not add a phone to a profile that has a user id (ingestion refuses it).
  const { secret } = await api<{ secret: string }>('POST', '/keys', {
    name: 'demo phone numbers (synthetic)',
    role: 'write',
    trust: 'server',
  });
  await track(
    apiUrl,
    secret,
    [...phones].map(([userId, phone]) => ({
      type: 'identify',
      messageId: `demo-phone-${userId}`,
      userId,
      traits: { phone, synthetic_phone: true },
    })),
  );
  return phones;
}

/** A segment's current members with a user id, from the admin export (CSV: profile_id,user_id). */
async function segmentMembers(apiUrl: string, adminKey: string, segmentId: string): Promise<{ profileId: string; userId: string }[]> {
  const response = await fetch(`${apiUrl}/segments/${segmentId}/members/export?identifiers=user_id`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  if (!response.ok) throw new Error(`member export: HTTP ${response.status} ${await response.text()}`);
  return (await response.text())
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter(([, userId]) => userId)
    .map(([profileId, userId]) => ({ profileId, userId }));
}

async function sendNewsletter(api: Call, destinationId: string, championsId: string): Promise<SyncRun> {
  const activation = await api<{ id: string }>('POST', '/activations', {
    name: 'SMS newsletter → champions',
    segmentId: championsId,
    destinationId,
    mode: 'send',
    holdoutShare: 0,
    schedule: 'manual',
    message: { text: 'New this week, picked for our best customers.' },
  });
  const queued = await api<SyncRun>('POST', `/activations/${activation.id}/sync`, {});
  return poll(
    'the newsletter send',
    () => api<SyncRun>('GET', `/sync-runs/${queued.id}`),
    (run) => !['queued', 'running'].includes(run.status),
  );
}

/** A new version of the journey with the waits in seconds (the plays make them days) and a one-day goal window. */
async function shortenWaits(api: Call, key: string): Promise<JourneyView> {
  const current = await api<JourneyView>('GET', `/journeys/${key}`);
  const definition = {
    ...current.definition,
    goal: { ...current.definition.goal, withinDays: 1 },
    steps: current.definition.steps.map((step) => (step.type === 'wait' ? { ...step, seconds: DEMO_OFFER_WAIT_SECONDS } : step)),
  };
  return api<JourneyView>('PUT', `/journeys/${key}/definition`, { definition });
}

/**
 * The journey's offers (by text) in the SMS vendor's outbox, counted by the arm of the entry whose
 * number received them. The arms are read from `journey_entries` (TypeORM, no SQL text): no API lists
 * a journey's entries. Waits until the outbox holds every offer the report counts as sent (the
 * vendor appends once a second), so a control count of 0 is read from a complete outbox.
 */
async function offersReceivedByArm(
  databaseUrl: string,
  journeyId: string,
  members: { profileId: string; userId: string }[],
  phones: Map<string, string>,
  sms: { outbox: string; offers: Set<string>; sent: number },
): Promise<{ treatment: number; control: number }> {
  const dataSource = await createDataSource({ url: databaseUrl, poolSize: 1, applicationName: 'audiencekit-demo-seed' }).initialize();
  let entries: JourneyEntryEntity[];
  try {
    entries = await dataSource.getRepository(JourneyEntryEntity).findBy({ journeyId });
  } finally {
    await dataSource.destroy();
  }
  const userIds = new Map(members.map((member) => [member.profileId, member.userId]));
  const armOf = new Map(
    entries.flatMap((entry) => {
      const phone = phones.get(userIds.get(entry.profileId) ?? '');
      return phone ? [[phone, entry.arm] as const] : [];
    }),
  );
  const count = async () => {
    // No file yet: the vendor accepted no message at all.
    const received = existsSync(sms.outbox) ? readFileSync(sms.outbox, 'utf8') : '';
    const offers = received
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { to: string; body: string })
      // The journey's offers only: control members who are champions did get the newsletter, another activation.
      .filter((message) => sms.offers.has(message.body));
    return {
      treatment: offers.filter((message) => armOf.get(message.to) === 'treatment').length,
      control: offers.filter((message) => armOf.get(message.to) === 'control').length,
    };
  };
  return poll('the SMS outbox', count, (counts) => counts.treatment >= sms.sent, 15_000);
}
