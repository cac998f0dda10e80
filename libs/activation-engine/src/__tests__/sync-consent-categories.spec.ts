import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Consent categories (issue #19): a destination that requires categories receives only members
 * with `consent.<category>: true` for each of them (opt-in: absent or false is no), a mirror
 * removes a held member who withdraws, and the control group stays out whatever consent says.
 */
describe('sync consent categories', () => {
  let db: TestDatabase;
  let ids: string[];
  let segmentId: string;
  const SALT = 'consent-categories-salt';
  const control = createHoldoutAssigner(SALT, 0.25);

  const setConsent = (profileIds: string[], consent: Record<string, boolean>) =>
    db.dataSource.query(`UPDATE profiles SET traits = traits || jsonb_build_object('consent', $2::jsonb) WHERE id = ANY($1::uuid[])`, [
      profileIds,
      JSON.stringify(consent),
    ]);
  const requireCategories = async (destinationId: string, categories: string[]) => {
    for (const key of categories) {
      await db.dataSource.query(`INSERT INTO consent_categories (key, label) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [key]);
      await db.dataSource.query(`INSERT INTO destination_consent_categories (destination_id, category_key) VALUES ($1, $2)`, [
        destinationId,
        key,
      ]);
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ segmentId, profileIds: ids } = await seedSegment(db.dataSource, 80));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('sends only members who opted in to every required category; the control group never, whatever its consent', async () => {
    // Quarters: both categories, email only, ads only (email false), nothing recorded.
    const both = ids.slice(0, 20);
    const emailOnly = ids.slice(20, 40);
    const declined = ids.slice(40, 60);
    await setConsent(both, { email_marketing: true, ads_personalisation: true });
    await setConsent(emailOnly, { email_marketing: true });
    await setConsent(declined, { email_marketing: false, ads_personalisation: true });
    const connector = recordingConnector({ slug: 'consent-both' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId, destinationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'consent-both',
      mode: 'mirror',
      holdoutShare: 0.25,
      salt: SALT,
    });
    await requireCategories(destinationId, ['email_marketing', 'ads_personalisation']);
    const { run } = await syncNow(engine, activationId);
    const treatedBoth = both.filter((id) => !control.isControl(id));
    expect(connector.received().sort()).toEqual(treatedBoth.sort());
    expect(both.some((id) => control.isControl(id))).toBe(true); // the invariant is exercised
    expect(run.counts).toMatchObject({ heldOutActivation: ids.filter((id) => control.isControl(id)).length });
    expect(run.counts).toMatchObject({ suppressed: ids.length - ids.filter((id) => control.isControl(id)).length - treatedBoth.length });
  });

  it('a destination without categories keeps today’s rule (no opt-in needed)', async () => {
    const connector = recordingConnector({ slug: 'consent-none' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'consent-none', mode: 'mirror', holdoutShare: 0 });
    await syncNow(engine, activationId);
    expect(connector.received()).toHaveLength(ids.length);
  });

  it('a mirror removes a held member who withdraws a required category, and only them', async () => {
    const members = ids.slice(60, 70);
    await setConsent(members, { sms_marketing: true });
    const connector = recordingConnector({ slug: 'consent-withdraw' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId, destinationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'consent-withdraw',
      mode: 'mirror',
      holdoutShare: 0,
    });
    await requireCategories(destinationId, ['sms_marketing']);
    await syncNow(engine, activationId);
    expect(connector.received('upsert').sort()).toEqual([...members].sort());
    await setConsent([members[0]], { sms_marketing: false });
    const { run } = await syncNow(engine, activationId);
    expect(connector.received('remove')).toEqual([members[0]]);
    expect(run.counts).toMatchObject({ removed: 1 });
  });
});
