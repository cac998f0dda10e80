import { extractIdentifiers, normalizeEmail, normalizePhone } from '../index';
import vectors from './normalization-vectors.json';

describe('normalizeEmail', () => {
  it.each(vectors.emails.map((v) => [JSON.stringify(v.input), v.input, v.expected]))('%s → %p', (_label, input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });
});

describe('normalizePhone', () => {
  it.each(vectors.phones.map((v) => [`${JSON.stringify(v.input)} (${'country' in v ? v.country : 'no country'})`, v]))(
    '%s',
    (_label, vector) => {
      expect(normalizePhone(vector.input, 'country' in vector ? vector.country : undefined)).toBe(vector.expected);
    },
  );
});

describe('extractIdentifiers', () => {
  it('lists user id, email, phone and anonymous id, strongest first, normalised', () => {
    const identifiers = extractIdentifiers(
      { userId: 'u-1', anonymousId: 'anon-1', personTraits: { email: ' Ann@Example.com ', phone: '07911 123456' } },
      { defaultPhoneCountry: 'GB' },
    );
    expect(identifiers).toEqual([
      { type: 'user_id', value: 'u-1' },
      { type: 'email', value: 'ann@example.com' },
      { type: 'phone', value: '+447911123456' },
      { type: 'anonymous_id', value: 'anon-1' },
    ]);
  });

  it('drops contact details that do not parse (they stitch nothing)', () => {
    expect(extractIdentifiers({ anonymousId: 'a', personTraits: { email: 'nope', phone: '12' } })).toEqual([
      { type: 'anonymous_id', value: 'a' },
    ]);
  });

  it('keeps ids exactly as sent: they are opaque', () => {
    expect(extractIdentifiers({ userId: ' User-1 ' })).toEqual([{ type: 'user_id', value: ' User-1 ' }]);
  });
});
