import { isSha256Hex, renderTemplate, sha256Hex } from './personalise';

describe('renderTemplate', () => {
  const member = { traits: { first_name: 'Ada', plan: { tier: 'gold' }, visits: 0, nothing: null } };

  it('fills placeholders, with or without inner spaces', () => {
    expect(renderTemplate('Hi {{first_name}}, {{ first_name }}!', member)).toBe('Hi Ada, Ada!');
  });

  it('reaches nested traits with dotted paths', () => {
    expect(renderTemplate('Tier: {{plan.tier}}', member)).toBe('Tier: gold');
  });

  it('renders falsy values but not missing or null ones', () => {
    expect(renderTemplate('[{{visits}}][{{missing}}][{{nothing}}][{{plan.none.deeper}}]', member)).toBe('[0][][][]');
  });

  it('leaves text without placeholders untouched', () => {
    expect(renderTemplate('{ not a placeholder }', member)).toBe('{ not a placeholder }');
  });
});

describe('sha256Hex / isSha256Hex', () => {
  // Reference digests from coreutils `printf %s VALUE | sha256sum`, an independent implementation.
  it.each([
    ['test@example.com', '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('hashes %p', (value, digest) => {
    expect(sha256Hex(value)).toBe(digest);
    expect(isSha256Hex(sha256Hex(value))).toBe(true);
  });

  it('does not hash an already-hashed value again', () => {
    const digest = sha256Hex('test@example.com');
    expect(sha256Hex(digest)).toBe(digest);
  });

  it.each(['test@example.com', '973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B', 'abc123', ''])(
    'does not take %p for a digest',
    (value) => {
      expect(isSha256Hex(value)).toBe(false);
    },
  );
});
