import { z } from 'zod';
import { defineConnector } from '../contract/connector-definition';
import { allDelivered } from '../contract/members';
import { recordingLogger, testContext, testMember, testMembers } from './harness';

const connector = defineConnector({
  slug: 'probe',
  displayName: 'Probe',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({ listName: z.string().min(1), region: z.enum(['eu', 'us']).default('eu') }),
  secrets: z.object({ apiKey: z.string().min(8) }),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 10 },
  testConnection: async () => undefined,
  upsert: async (_ctx, members) => allDelivered(members),
});

describe('testContext', () => {
  it('validates settings and secrets through the connector schemas, applying defaults', () => {
    const ctx = testContext(connector, {
      settings: { listName: 'vip' },
      secrets: { apiKey: 'k'.repeat(8) },
      baseUrl: 'http://127.0.0.1:1',
    });
    expect(ctx.settings).toEqual({ listName: 'vip', region: 'eu' });
    expect(ctx.baseUrl).toBe('http://127.0.0.1:1');
    expect(ctx.signal.aborted).toBe(false);
    expect(ctx.idempotencyKey).toMatch(/[0-9a-f-]{36}/);
  });

  it('refuses settings the form would refuse on save', () => {
    expect(() => testContext(connector, { settings: { listName: '' }, secrets: { apiKey: 'k'.repeat(8) } })).toThrow(/listName/);
    expect(() => testContext(connector, { settings: { listName: 'vip', region: 'mars' }, secrets: { apiKey: 'k'.repeat(8) } })).toThrow(
      /region/,
    );
  });

  it('refuses secrets the schema refuses', () => {
    expect(() => testContext(connector, { settings: { listName: 'vip' }, secrets: { apiKey: 'short' } })).toThrow(/apiKey/);
  });

  it('keeps a given idempotency key and records log lines', () => {
    const ctx = testContext(connector, { settings: { listName: 'vip' }, secrets: { apiKey: 'k'.repeat(8) }, idempotencyKey: 'batch-1' });
    ctx.logger.warn('slow', { ms: 1 });
    expect(ctx.idempotencyKey).toBe('batch-1');
    expect(ctx.logger.lines).toEqual([{ level: 'warn', message: 'slow', fields: { ms: 1 } }]);
  });
});

describe('testMember(s)', () => {
  it('builds members with only the identifiers given', () => {
    const member = testMember({ profileId: 'p1', email: 'a@example.com' });
    expect(member).toMatchObject({ profileId: 'p1', identifiers: { email: 'a@example.com' }, deliveryKey: 'test-p1' });
    expect(Object.keys(member.identifiers)).toEqual(['email']);
  });

  it('builds distinct members', () => {
    const members = testMembers(3);
    expect(new Set(members.map((m) => m.profileId)).size).toBe(3);
    expect(members[2].identifiers).toEqual({ email: 'user3@example.com', phone: '+15550000003' });
  });

  it('records logger lines in order', () => {
    const logger = recordingLogger();
    logger.info('a');
    logger.warn('b');
    expect(logger.lines.map((line) => line.message)).toEqual(['a', 'b']);
  });
});
