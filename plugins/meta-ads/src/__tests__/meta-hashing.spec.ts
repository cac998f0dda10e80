import { sha256Hex } from '@audiencekit/connector-sdk';
import { hashMetaIdentifier, metaRow, normalizeMetaEmail, normalizeMetaPhone } from '../meta-hashing';
import vectors from './fixtures/hash-vectors.json';

// Reference hashes made by coreutils sha256sum (fixtures/make-hash-vectors.sh); Meta's pages give
// the normalisation rules but no hashed examples, so the SHA-256 itself is pinned by FIPS 180-2's "abc".
describe('Meta hashing', () => {
  it('hashes the FIPS 180-2 test vector as published', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it.each(vectors)('$kind $input → $normalised', ({ kind, input, normalised, sha256 }) => {
    const normalise = kind === 'email' ? normalizeMetaEmail : normalizeMetaPhone;
    expect(normalise(input)).toBe(normalised);
    expect(hashMetaIdentifier(kind as 'email' | 'phone', input)).toBe(sha256);
  });

  it('never hashes a hash again, whatever its case', () => {
    const hash = sha256Hex('ada@example.com');
    expect(hashMetaIdentifier('email', hash)).toBe(hash);
    expect(hashMetaIdentifier('email', ` ${hash.toUpperCase()} `)).toBe(hash);
    expect(hashMetaIdentifier('phone', hash)).toBe(hash);
  });

  it('gives an empty slot for a missing identifier and no row for a member with none', () => {
    expect(metaRow({ identifiers: { email: 'a@b.co' } })).toEqual([sha256Hex('a@b.co'), '']);
    expect(metaRow({ identifiers: { phone: '+15550000001' } })).toEqual(['', sha256Hex('15550000001')]);
    expect(metaRow({ identifiers: { external_id: 'x-1' } })).toBeUndefined();
    expect(hashMetaIdentifier('phone', '+-- ')).toBeUndefined();
  });
});
