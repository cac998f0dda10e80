import { forRole, maskEmail, maskIdentifiers, maskPhone, maskPiiDeep } from './pii-mask';

describe('PII masking', () => {
  it.each([
    ['alice@example.com', 'a***@example.com'],
    ['b@shop.co.uk', 'b***@shop.co.uk'],
    ['no address here', 'no address here'],
  ])('masks the email %p as %p', (input, expected) => expect(maskEmail(input)).toBe(expected));

  it.each([
    ['+447700900123', '+44*******123'],
    ['+15551234567', '+15******567'],
    ['order 12345678', 'order 12345678'],
  ])('masks the phone %p as %p', (input, expected) => expect(maskPhone(input)).toBe(expected));

  it('masks identifiers inside free text and nested values, leaving ids and dates alone', () => {
    expect(maskIdentifiers('vendor refused jane.doe@example.com and +447700900123')).toBe('vendor refused j***@example.com and +44*******123');
    const at = new Date(0);
    const masked = maskPiiDeep({ profileId: '6f1c0b1e-0000-4000-8000-000000000000', at, errors: [{ reason: 'bad bob@example.org' }], count: 3 });
    expect(masked).toEqual({ profileId: '6f1c0b1e-0000-4000-8000-000000000000', at, errors: [{ reason: 'bad b***@example.org' }], count: 3 });
  });

  it('leaves the body untouched for an admin key only', () => {
    const body = { reason: 'bob@example.org' };
    expect(forRole(body, 'admin')).toEqual(body);
    expect(forRole(body, 'marketer')).toEqual({ reason: 'b***@example.org' });
    expect(forRole(body, 'viewer')).toEqual({ reason: 'b***@example.org' });
  });
});
