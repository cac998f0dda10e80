import { lcgAnsiC } from '@audiencekit/testing';
import { emailScanSteps, forRole, maskEmail, maskIdentifiers, maskPhone, maskPiiDeep } from './pii-mask';

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
    expect(maskIdentifiers('vendor refused jane.doe@example.com and +447700900123')).toBe(
      'vendor refused j***@example.com and +44*******123',
    );
    const at = new Date(0);
    const masked = maskPiiDeep({
      profileId: '6f1c0b1e-0000-4000-8000-000000000000',
      at,
      errors: [{ reason: 'bad bob@example.org' }],
      count: 3,
    });
    expect(masked).toEqual({
      profileId: '6f1c0b1e-0000-4000-8000-000000000000',
      at,
      errors: [{ reason: 'bad b***@example.org' }],
      count: 3,
    });
  });

  it('leaves the body untouched for an admin key only', () => {
    const body = { reason: 'bob@example.org' };
    expect(forRole(body, 'admin')).toEqual(body);
    expect(forRole(body, 'marketer')).toEqual({ reason: 'b***@example.org' });
    expect(forRole(body, 'viewer')).toEqual({ reason: 'b***@example.org' });
  });
});

/**
 * Inputs that made the old regular expressions backtrack from every position (quadratic: a viewer
 * reading a run with a 120 KB vendor message froze the API for 18 s). The scanner visits each
 * character a bounded number of times, which `emailScanSteps` counts.
 */
describe('PII masking of adversarial vendor messages (linear time)', () => {
  const size = 120 * 1024;
  const adversarial: [string, string][] = [
    ['a long run of local-part characters with no @', 'a'.repeat(size)],
    ['an @ followed by a long domain with no dot', `x@${'a'.repeat(size)}`],
    ['many @ without domains', 'a@'.repeat(size / 2)],
    ['a long domain of dots and single letters', `x@${'a.'.repeat(size / 2)}`],
    ['dots before every @', '.@'.repeat(size / 2)],
  ];

  it.each(adversarial)('%s: masks in a number of steps linear in the length', (_label, text) => {
    const { masked, steps } = emailScanSteps(text);
    expect(masked).toBe(text); // no address in any of them
    expect(steps).toBeLessThanOrEqual(4 * text.length + 16);
    expect(maskIdentifiers(text)).toBe(text);
  });

  it('masks exactly what the former expression matched, on mixed free text', () => {
    const former = (text: string) =>
      text.replace(
        /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g,
        (_m, first: string, domain: string) => `${first}***@${domain}`,
      );
    const samples = [
      'vendor refused jane.doe@example.com and bob@shop.co.uk, then x@y@z.org',
      'x@a.com.y@b.com',
      'a@b.c, a@b.cd1, a@-.io, @example.com, tom@localhost, ann@mail.example.com.',
      'contact: "Zoë" <zoe+tag@sub-domain.example.museum>; foo@bar.baz.q',
      `${'a'.repeat(5000)}@example.org ${'b@'.repeat(300)}c.de`,
      'first@one.io second@two.io',
    ];
    for (const text of samples) expect(maskEmail(text)).toBe(former(text));
    // And on 5,000 random strings over the characters that matter (seeded, so a failure repeats).
    const random = lcgAnsiC(16);
    const alphabet = 'ab1.-_%+@ @Z.';
    for (let i = 0; i < 5000; i += 1) {
      const text = Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect({ text, masked: maskEmail(text) }).toEqual({ text, masked: former(text) });
    }
  });

  it('masks a 120 KB message with addresses spread through it, all of them', () => {
    const chunk = `${'lorem ipsum '.repeat(80)}rejected jane.doe@example.com +447700900123 `;
    const text = chunk.repeat(Math.ceil(size / chunk.length));
    const masked = maskIdentifiers(text);
    expect(masked).not.toContain('jane.doe@');
    expect(masked).not.toContain('+447700900123');
    expect(masked.split('j***@example.com').length - 1).toBe(text.split('jane.doe@example.com').length - 1);
  });
});
