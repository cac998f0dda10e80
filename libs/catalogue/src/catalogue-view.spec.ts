import { isIdentifierKey, keysForRole } from './catalogue-view';

describe('catalogue examples as each role sees them', () => {
  it.each([
    'email',
    'e-mail',
    'customer.email',
    'phone',
    'mobile',
    'userId',
    'user_id',
    'anonymousId',
    'orderId',
    'id',
    'sku_id',
    'contactEmail',
  ])('%s names an identifier', (key) => expect(isIdentifierKey(key)).toBe(true));

  it.each(['paid', 'valid', 'revenue', 'currency', 'plan', 'address.city', 'video'])('%s does not', (key) =>
    expect(isIdentifierKey(key)).toBe(false),
  );

  const keys = [
    { key: 'userId', types: ['string'], count: 3, lastSeenAt: '2026-01-01T00:00:00.000Z', examples: ['u-777', 42] },
    {
      key: 'inbox',
      types: ['string'],
      count: 3,
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      examples: ['help@shop.example', 'call +447700900123', 7],
    },
  ];

  it('masks identifier keys whole and addresses inside other examples below admin', () => {
    for (const role of ['viewer', 'marketer', undefined] as const) {
      expect(keysForRole(keys, role).map((entry) => entry.examples)).toEqual([
        ['u***', '***'],
        ['h***@shop.example', 'call +44*******123', 7],
      ]);
    }
  });

  it('shows admins the examples in the clear', () => {
    expect(keysForRole(keys, 'admin')).toEqual(keys);
  });
});
