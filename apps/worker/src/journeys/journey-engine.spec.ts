import { DataSource } from 'typeorm';
import type { JourneyDefinition } from '@audiencekit/journeys';
import { createDataSource } from '@audiencekit/persistence';
import { startSendgridFake, SendgridFake } from '@audiencekit/plugin-sendgrid/testing';
import type { AppConfig } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import {
  buildJourneyEngine,
  enterSegment,
  entriesOf,
  hours,
  journeyConfig,
  publishVersion,
  recordEvent,
  seedJourney,
  seedMailDestination,
  seedSegmentAndProfiles,
  stepLog,
} from './journey-fixtures';

const DAY = 86_400;

/** The win-back play: three rising offers with a day between them; stops at a conversion. */
function escalating(segmentId: string, destination: string, holdoutShare = 0.3): JourneyDefinition {
  return {
    entrySegmentId: segmentId,
    goal: { event: 'Order Completed', withinDays: 14 },
    holdoutShare,
    reEntry: { mode: 'once' },
    steps: [
      { id: 'offer1', type: 'send', destination, message: { subject: 'offer 1: 10% off', text: 'Come back: 10% off' } },
      { id: 'wait1', type: 'wait', seconds: DAY },
      { id: 'offer2', type: 'send', destination, message: { subject: 'offer 2: 20% off', text: 'Still here: 20% off' } },
      { id: 'wait2', type: 'wait', seconds: DAY },
      { id: 'offer3', type: 'send', destination, message: { subject: 'offer 3: 30% off', text: 'Last chance: 30% off' } },
    ],
  };
}

describe('journeys advanced by the worker pass, delivered through the activation core to a fake SendGrid', () => {
  let db: TestDatabase;
  let fake: SendgridFake;
  let config: AppConfig;
  let destination: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startSendgridFake();
    config = journeyConfig(db.url, fake.url);
    destination = await seedMailDestination(db.dataSource);
  });
  afterAll(async () => {
    await fake.stop();
    await db.drop();
  });

  /** Mails the fake received for these addresses, by subject. */
  const mailsTo = (emails: Set<string>) => fake.mails.filter((mail) => emails.has(mail.to));
  const subjects = (emails: Set<string>, subject: string) => mailsTo(emails).filter((mail) => mail.subject?.startsWith(subject));

  it('escalates over three offers, stops at a conversion, and never contacts the control group', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 60);
    const journeyId = await seedJourney(db.dataSource, escalating(segmentId, destination));
    const engine = buildJourneyEngine(db.dataSource, config);
    const t0 = new Date();
    await enterSegment(
      db.dataSource,
      segmentId,
      profiles.map((profile) => profile.id),
    );

    await engine.runPass(t0);
    const entries = await entriesOf(db.dataSource, journeyId);
    expect(entries).toHaveLength(60);
    const emailOf = new Map(profiles.map((profile) => [profile.id, profile.email]));
    const treated = entries.filter((entry) => entry.arm === 'treatment').map((entry) => entry.profile_id);
    const control = entries.filter((entry) => entry.arm === 'control').map((entry) => entry.profile_id);
    expect(treated.length).toBeGreaterThan(20);
    expect(control.length).toBeGreaterThan(5);
    const treatedEmails = new Set(treated.map((id) => emailOf.get(id) as string));
    const controlEmails = new Set(control.map((id) => emailOf.get(id) as string));
    expect(subjects(treatedEmails, 'offer 1')).toHaveLength(treated.length);

    // A third of the treated convert an hour after offer 1; two control members convert too.
    const converters = treated.slice(0, Math.floor(treated.length / 3));
    for (const profileId of [...converters, ...control.slice(0, 2)])
      await recordEvent(db.dataSource, profileId, 'Order Completed', hours(t0, 1));
    const converterEmails = new Set(converters.map((id) => emailOf.get(id) as string));

    await engine.runPass(hours(t0, 12)); // nothing due yet
    expect(subjects(treatedEmails, 'offer 2')).toHaveLength(0);
    await engine.runPass(hours(t0, 24.01));
    await engine.runPass(hours(t0, 48.02));
    await engine.runPass(hours(t0, 24 * 15));

    const stayed = treated.length - converters.length;
    expect(subjects(treatedEmails, 'offer 2')).toHaveLength(stayed);
    expect(subjects(treatedEmails, 'offer 3')).toHaveLength(stayed);
    expect(mailsTo(converterEmails)).toHaveLength(converters.length); // offer 1 only
    expect(mailsTo(controlEmails)).toHaveLength(0);
    // One message per step per treated entry: every delivery key once, and it names the entry and step.
    const keys = mailsTo(treatedEmails).map((mail) => mail.customArgs['ak_delivery_key']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((key) => /^journey:[0-9a-f-]{36}:offer[123]$/.test(key))).toBe(true);

    const done = await entriesOf(db.dataSource, journeyId);
    expect(done.every((entry) => entry.state === 'done')).toBe(true);
    const outcomes = (arm: string, outcome: string) => done.filter((entry) => entry.arm === arm && entry.outcome === outcome).length;
    expect(outcomes('treatment', 'goal_reached')).toBe(converters.length);
    expect(outcomes('treatment', 'completed')).toBe(stayed);
    expect(outcomes('control', 'goal_reached')).toBe(2);
    expect(outcomes('control', 'completed')).toBe(control.length - 2);
    const log = await stepLog(db.dataSource, journeyId);
    expect(log.filter((row) => row.step_id === 'offer2').map((row) => row.outcome)).toEqual(Array(stayed).fill('sent'));
    expect(log.some((row) => row.outcome === 'in_flight')).toBe(false);
    expect(log.filter((row) => control.includes(done.find((entry) => entry.id === row.entry_id)?.profile_id ?? ''))).toHaveLength(0);
  });

  it('two workers on two connection pools racing over the same entries execute every step exactly once', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 80);
    const journeyId = await seedJourney(db.dataSource, escalating(segmentId, destination, 0.1));
    const second: DataSource = await createDataSource({ url: db.url }).initialize();
    try {
      const engines = [buildJourneyEngine(db.dataSource, config, { claimBatch: 7 }), buildJourneyEngine(second, config, { claimBatch: 7 })];
      const emails = new Set(profiles.map((profile) => profile.email));
      const t0 = new Date();
      await enterSegment(
        db.dataSource,
        segmentId,
        profiles.map((profile) => profile.id),
      );
      for (const at of [t0, hours(t0, 24.01), hours(t0, 48.02)]) await Promise.all(engines.map((engine) => engine.runPass(at)));
      const entries = await entriesOf(db.dataSource, journeyId);
      const treated = entries.filter((entry) => entry.arm === 'treatment').length;
      expect(entries).toHaveLength(80);
      for (const offer of ['offer 1', 'offer 2', 'offer 3']) expect(subjects(emails, offer)).toHaveLength(treated);
      const keys = mailsTo(emails).map((mail) => mail.customArgs['ak_delivery_key']);
      expect(new Set(keys).size).toBe(3 * treated);
      expect(keys).toHaveLength(3 * treated);
    } finally {
      await second.destroy();
    }
  });

  it('a worker dying after recording a step and before its call: the restarted pass sends it once and the journey goes on', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 20);
    const journeyId = await seedJourney(db.dataSource, escalating(segmentId, destination, 0));
    const emails = new Set(profiles.map((profile) => profile.email));
    const dying = buildJourneyEngine(db.dataSource, config, {
      faultForTests: (point) => {
        if (point === 'before_call') throw new Error('worker died');
      },
    });
    const t0 = new Date();
    await enterSegment(
      db.dataSource,
      segmentId,
      profiles.map((profile) => profile.id),
    );
    await expect(dying.runPass(t0)).rejects.toThrow('worker died');
    expect((await stepLog(db.dataSource, journeyId)).map((row) => row.outcome)).toEqual(Array(20).fill('in_flight'));
    expect(mailsTo(emails)).toHaveLength(0);

    const restarted = buildJourneyEngine(db.dataSource, config);
    await restarted.runPass(hours(t0, 0.001)); // within the lease: nobody touches the step
    expect(mailsTo(emails)).toHaveLength(0);
    await restarted.runPass(hours(t0, 0.1)); // lease (60 s) passed: replayed
    expect(subjects(emails, 'offer 1')).toHaveLength(20);
    await restarted.runPass(hours(t0, 24.2));
    expect(subjects(emails, 'offer 2')).toHaveLength(20);
    expect(new Set(mailsTo(emails).map((mail) => mail.customArgs['ak_delivery_key'])).size).toBe(40);
  });

  it('a worker dying after the vendor answered: the replay carries the same delivery key, and the next step goes once', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 10);
    const journeyId = await seedJourney(db.dataSource, escalating(segmentId, destination, 0));
    const emails = new Set(profiles.map((profile) => profile.email));
    const dying = buildJourneyEngine(db.dataSource, config, {
      faultForTests: (point) => {
        if (point === 'after_call') throw new Error('worker died');
      },
    });
    const t0 = new Date();
    await enterSegment(
      db.dataSource,
      segmentId,
      profiles.map((profile) => profile.id),
    );
    await expect(dying.runPass(t0)).rejects.toThrow('worker died');
    expect(subjects(emails, 'offer 1')).toHaveLength(10);
    await buildJourneyEngine(db.dataSource, config).runPass(hours(t0, 0.1));
    // At-least-once at the vendor, exactly once per delivery key: the vendor can drop the repeat.
    const offer1Keys = subjects(emails, 'offer 1').map((mail) => mail.customArgs['ak_delivery_key']);
    expect(offer1Keys).toHaveLength(20);
    expect(new Set(offer1Keys).size).toBe(10);
    await buildJourneyEngine(db.dataSource, config).runPass(hours(t0, 24.2));
    expect(subjects(emails, 'offer 2')).toHaveLength(10);
    expect((await stepLog(db.dataSource, journeyId)).filter((row) => row.step_id === 'offer1').map((row) => row.outcome)).toEqual(
      Array(10).fill('sent'),
    );
  });

  it('entries in flight finish on their version after a new version is published', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 12);
    const v1 = escalating(segmentId, destination, 0);
    const journeyId = await seedJourney(db.dataSource, v1);
    const engine = buildJourneyEngine(db.dataSource, config);
    const t0 = new Date();
    const [early, late] = [profiles.slice(0, 6), profiles.slice(6)];
    await enterSegment(
      db.dataSource,
      segmentId,
      early.map((profile) => profile.id),
    );
    await engine.runPass(t0);
    const v2: JourneyDefinition = {
      ...v1,
      steps: [
        { id: 'v2offer', type: 'send', destination, message: { subject: 'v2 offer', text: 'New flow' } },
        { id: 'bye', type: 'exit' },
      ],
    };
    await publishVersion(db.dataSource, journeyId, 2, v2);
    await enterSegment(
      db.dataSource,
      segmentId,
      late.map((profile) => profile.id),
    );
    await engine.runPass(hours(t0, 24.01));
    await engine.runPass(hours(t0, 48.02));
    const earlyEmails = new Set(early.map((profile) => profile.email));
    const lateEmails = new Set(late.map((profile) => profile.email));
    expect(subjects(earlyEmails, 'offer 3')).toHaveLength(6);
    expect(subjects(earlyEmails, 'v2 offer')).toHaveLength(0);
    expect(subjects(lateEmails, 'v2 offer')).toHaveLength(6);
    expect(mailsTo(lateEmails)).toHaveLength(6);
    const entries = await entriesOf(db.dataSource, journeyId);
    expect(entries.filter((entry) => entry.version === 2).map((entry) => entry.outcome)).toEqual(Array(6).fill('exited'));
  });
});
