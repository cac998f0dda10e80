import { sha256Hex } from '@audiencekit/connector-sdk';
import { hashGoogle, normalizeGoogleE164, normalizeGoogleEmail, normalizeGoogleName, userIdentifiers } from '../google-hashing';
import vectors from './fixtures/hash-vectors.json';

const TRAITS = { givenName: 'first_name', familyName: 'last_name', regionCode: 'country_code', postalCode: 'postal_code' };
const normalisers = { email: normalizeGoogleEmail, phone: normalizeGoogleE164, name: normalizeGoogleName };

// Inputs are the examples of Google's "Format user data" page; the hashes come from coreutils
// sha256sum (fixtures/make-hash-vectors.sh): Google's pages give no hashed values to compare with.
describe('Google Data Manager normalisation and hashing', () => {
  it.each(vectors)('$kind $input → $normalised', ({ kind, input, normalised, sha256 }) => {
    const normalise = normalisers[kind as keyof typeof normalisers];
    expect(normalise(input)).toBe(normalised);
    expect(hashGoogle(input, normalise)).toBe(sha256);
  });

  it('keeps dots and plus tags outside gmail.com / googlemail.com', () => {
    expect(normalizeGoogleEmail('First.Last+tag@googlemail.com')).toBe('firstlast@googlemail.com');
    expect(normalizeGoogleEmail('first.last+tag@example.org')).toBe('first.last+tag@example.org');
  });

  it('never hashes a hash again', () => {
    const hash = sha256Hex('dana@example.com');
    expect(hashGoogle(hash.toUpperCase(), normalizeGoogleEmail)).toBe(hash);
  });

  it('hashes names but leaves region and postal code plain, and sends an address only when complete', () => {
    const member = {
      identifiers: { email: 'Dana@Example.com' },
      traits: { first_name: ' Dana ', last_name: "O'Brien", country_code: 'gb', postal_code: ' SW1A 1AA ' },
    };
    expect(userIdentifiers(member, TRAITS)).toEqual([
      { emailAddress: sha256Hex('dana@example.com') },
      { address: { givenName: sha256Hex('dana'), familyName: sha256Hex('obrien'), regionCode: 'GB', postalCode: 'SW1A 1AA' } },
    ]);
    expect(
      userIdentifiers({ identifiers: {}, traits: { first_name: 'Dana', last_name: 'X', country_code: 'GBR', postal_code: '1' } }, TRAITS),
    ).toEqual([]);
  });
});
