import { z } from 'zod';
import { AnyConnectorDefinition, defineConnector } from './connector-definition';
import { allDelivered } from './members';
import { definitionProblems } from './validate-definition';

const valid = defineConnector({
  slug: 'acme-mail',
  displayName: 'Acme Mail',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({ listName: z.string() }),
  secrets: z.object({ apiKey: z.string() }),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100, maxRequestsPerSecond: 5 },
  testConnection: async () => undefined,
  upsert: async (_ctx, members) => allDelivered(members),
});

const variant = (patch: Partial<AnyConnectorDefinition>): AnyConnectorDefinition => ({ ...valid, ...patch }) as AnyConnectorDefinition;

describe('definitionProblems', () => {
  it('finds nothing wrong with a well-formed definition', () => {
    expect(definitionProblems(valid)).toEqual([]);
  });

  it.each([
    ['a slug that is not kebab-case', { slug: 'Acme_Mail' }, /slug "Acme_Mail" is not kebab-case/],
    ['a batch size of 0', { limits: { maxBatchSize: 0 } }, /limits.maxBatchSize must be an integer ≥ 1/],
    ['a fractional batch size', { limits: { maxBatchSize: 2.5 } }, /limits.maxBatchSize/],
    ['a negative rate', { limits: { maxBatchSize: 1, maxRequestsPerSecond: -1 } }, /limits.maxRequestsPerSecond must be > 0/],
    [
      'a zero membership refresh',
      { limits: { maxBatchSize: 1, refreshMembershipAfterDays: 0 } },
      /limits.refreshMembershipAfterDays must be an integer ≥ 1/,
    ],
    ['no identifiers', { requiredIdentifiers: [] }, /requiredIdentifiers is empty/],
    ['an unknown identifier', { requiredIdentifiers: ['fax'] }, /unknown kind "fax"/],
    ['settings that are not zod', { settings: { type: 'object' } }, /settings is not a zod schema/],
    ['secrets JSON Schema cannot express', { secrets: z.object({ at: z.date() }) }, /secrets cannot be served as JSON Schema/],
    ['a list connector without upsert', { upsert: undefined }, /deliveryModel "list" needs upsert/],
    ['a send connector without send', { deliveryModel: 'send' }, /deliveryModel "send" needs send/],
    ['an unknown channel', { channel: 'fax' }, /channel "fax"/],
    ['limitsFor that is not a function', { limitsFor: { maxBatchSize: 1 } }, /limitsFor is not a function/],
    ['quota that is not a function', { quota: { key: 'p', maxRequestsPerSecond: 1 } }, /quota is not a function/],
    [
      'replace on a send connector',
      { deliveryModel: 'send', send: async () => [], replace: async () => [] },
      /replace must be a function of a "list" connector/,
    ],
  ])('reports %s', (_label, patch, message) => {
    expect(definitionProblems(variant(patch as Partial<AnyConnectorDefinition>)).join('\n')).toMatch(message);
  });
});
