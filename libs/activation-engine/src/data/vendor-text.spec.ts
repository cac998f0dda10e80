import { redactMemberIdentifiers } from './vendor-text';

describe('redactMemberIdentifiers', () => {
  it('replaces every identifier of the batch in any case, longest first, and leaves the rest of the text', () => {
    expect(
      redactMemberIdentifiers('unknown contact ANN@Example.com (ann@example.com.au is fine), phone +447911123456', [
        'ann@example.com',
        'ann@example.com.au',
        '+447911123456',
      ]),
    ).toBe('unknown contact [redacted] ([redacted] is fine), phone [redacted]');
  });

  it('treats identifiers as plain text (no pattern), and ignores empty ones', () => {
    expect(redactMemberIdentifiers('a.b+c@x.io and axb+c@x.io', ['a.b+c@x.io', ''])).toBe('[redacted] and axb+c@x.io');
    expect(redactMemberIdentifiers('nothing here', [])).toBe('nothing here');
  });
});
