import { ConnectorCatalog, JourneysAdminService, journeyReportViewSchema } from '@audiencekit/activation-admin';
import { JourneyReportService } from '@audiencekit/journey-engine';
import type { JourneyDefinition } from '@audiencekit/journeys';
import { sendgridEmail } from '@audiencekit/plugin-sendgrid';
import { startSendgridFake, SendgridFake } from '@audiencekit/plugin-sendgrid/testing';
import type { AppConfig } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import {
  buildJourneyEngine,
  enterSegment,
  entriesOf,
  journeyConfig,
  seedJourney,
  seedMailDestination,
  seedSegmentAndProfiles,
} from './journey-fixtures';

/**
 * The journey report tells the pre-send filters apart (`GET /journeys/:ref/report`'s step counts):
 * the engine logs each as `skipped` with the verdict in the detail, and the report groups by it.
 * Real Postgres, the real engine and SendGrid mail connector against the fake, the admin service's view.
 */
describe('journey report: suppressed, held out, invalid and skipped per step', () => {
  let db: TestDatabase;
  let fake: SendgridFake;
  let config: AppConfig;
  let mail: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startSendgridFake();
    config = journeyConfig(db.url, fake.url);
    mail = await seedMailDestination(db.dataSource);
  });
  afterAll(async () => {
    await fake.stop();
    await db.drop();
  });

  it('a send step meeting a suppressed profile, one without a valid e-mail and tampered control entries counts each apart', async () => {
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 20);
    const definition: JourneyDefinition = {
      entrySegmentId: segmentId,
      goal: { event: 'Order Completed', withinDays: 7 },
      holdoutShare: 0.3,
      reEntry: { mode: 'once' },
      steps: [{ id: 'offer', type: 'send', destination: mail, message: { subject: 'filters', text: 'hello' } }],
    };
    const journeyId = await seedJourney(db.dataSource, definition, 'report-filters-salt');
    await enterSegment(
      db.dataSource,
      segmentId,
      profiles.map((profile) => profile.id),
    );
    const engine = buildJourneyEngine(db.dataSource, config);
    const t0 = new Date();
    await engine.intake(t0);
    const entries = await entriesOf(db.dataSource, journeyId);
    const treated = entries.filter((entry) => entry.arm === 'treatment');
    const control = entries.filter((entry) => entry.arm === 'control');
    expect(treated.length).toBeGreaterThan(2);
    expect(control.length).toBeGreaterThan(0);
    const emailOf = (profileId: string) => profiles.find((profile) => profile.id === profileId)?.email;
    // One treated profile on the suppression list, one whose only e-mail is malformed.
    const [suppressed, invalid] = treated;
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ('email', $1, 'email', 'bounced')`,
      [emailOf(suppressed.profile_id)],
    );
    await db.dataSource.query(`UPDATE identities SET value = 'not-an-email' WHERE profile_id = $1 AND type = 'email'`, [
      invalid.profile_id,
    ]);
    // Control entries wrongly marked treated and due: the core's holdout re-check skips them (held out).
    // Due at the pass's own clock (the database's now() has microseconds and can be after a JS Date of the same millisecond).
    await db.dataSource.query(`UPDATE journey_entries SET arm = 'treatment', state = 'active', due_at = $2 WHERE id = ANY($1::uuid[])`, [
      control.map((entry) => entry.id),
      t0,
    ]);
    await engine.runPass(t0);
    expect(fake.mails.filter((m) => m.subject === 'filters')).toHaveLength(treated.length - 2);

    const report = await new JourneyReportService(db.dataSource).report(journeyId);
    expect(report?.steps.find((step) => step.stepId === 'offer')).toMatchObject({
      sent: treated.length - 2,
      suppressed: 1,
      invalid: 1,
      heldOut: control.length,
      skipped: 0,
      capped: 0,
      failed: 0,
    });

    // The admin API's view (`GET /journeys/:ref/report`): numbers, no more null, and every entry counted once.
    const admin = new JourneysAdminService(db.dataSource, new ConnectorCatalog([sendgridEmail]), new JourneyReportService(db.dataSource));
    const view = journeyReportViewSchema.parse(await admin.report(journeyId));
    expect(view.steps).toEqual([
      expect.objectContaining({
        id: 'offer',
        entered: 20,
        sent: treated.length - 2,
        suppressed: 1,
        invalid: 1,
        heldOut: control.length,
        skipped: 0,
      }),
    ]);
  });
});
