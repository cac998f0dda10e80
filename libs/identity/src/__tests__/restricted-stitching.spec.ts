import { DEFAULT_MERGE_CAPS, Identifier, IdentifierCounts, planStitching, StitchMessage } from '../index';

const user = (value: string): Identifier => ({ type: 'user_id', value });
const anon = (value: string): Identifier => ({ type: 'anonymous_id', value });
const email = (value: string): Identifier => ({ type: 'email', value });
const phone = (value: string): Identifier => ({ type: 'phone', value });

function plan(messages: StitchMessage[], known: Record<string, string> = {}, counts: Record<string, IdentifierCounts> = {}) {
  let next = 0;
  return planStitching({
    messages,
    known: new Map(Object.entries(known)),
    counts: new Map(Object.entries(counts)),
    caps: DEFAULT_MERGE_CAPS,
    newProfileId: () => `new-${++next}`,
  });
}

// A restricted message comes from a key anyone may hold (a browser's): issue #16.
describe('planStitching: restricted (client) messages', () => {
  const victim = { 'user_id:victim': 'p-victim', 'email:victim@x.io': 'p-victim' };
  const victimCounts = { 'p-victim': { user_id: 1, email: 1 } };

  it('refuses a second email for a known person, and changes nothing', () => {
    const result = plan([{ identifiers: [user('victim'), email('attacker@x.io')], restricted: true }], victim, victimCounts);
    expect(result).toEqual({
      profileOf: [null],
      newProfiles: [],
      newIdentities: [],
      merges: [],
      refusals: [
        {
          kind: 'restricted',
          messageIndex: 0,
          via: 'attach',
          identifier: email('attacker@x.io'),
          identifierType: 'email',
          profileId: 'p-victim',
        },
      ],
    });
  });

  it('allows the same message from a server source (the caps decide then)', () => {
    const result = plan([{ identifiers: [user('victim'), email('attacker@x.io')] }], victim, victimCounts);
    expect(result.newIdentities).toEqual([{ type: 'email', value: 'attacker@x.io', profileId: 'p-victim' }]);
  });

  it('refuses a merge that brings a second email, taking back what the message did before it', () => {
    const known = { ...victim, 'anonymous_id:a-att': 'p-att', 'email:att@x.io': 'p-att' };
    const counts = { ...victimCounts, 'p-att': { anonymous_id: 1, email: 1 } };
    const result = plan(
      [{ identifiers: [user('victim'), anon('a-new'), anon('a-att')], restricted: true }, { identifiers: [anon('a-new')] }],
      known,
      counts,
    );
    expect(result.refusals).toEqual([
      { kind: 'restricted', messageIndex: 0, via: 'merge', identifier: anon('a-att'), identifierType: 'email', profileId: 'p-victim' },
    ]);
    expect(result.merges).toEqual([]);
    // a-new was attached before the merge was found: taken back, so the next message makes a new profile for it.
    expect(result.profileOf).toEqual([null, 'new-1']);
    expect(result.newIdentities).toEqual([{ type: 'anonymous_id', value: 'a-new', profileId: 'new-1' }]);
  });

  it('lets browsers do what they do: a new person, a login adding a device, a first email', () => {
    const result = plan(
      [
        { identifiers: [user('u-new'), email('new@x.io'), anon('a1')], restricted: true },
        { identifiers: [user('victim'), anon('a2')], restricted: true },
        { identifiers: [user('u-anon'), email('first@x.io'), anon('a3')], restricted: true },
      ],
      { ...victim, 'anonymous_id:a3': 'p-anon' },
      { ...victimCounts, 'p-anon': { anonymous_id: 1 } },
    );
    expect(result.profileOf).toEqual(['new-1', 'p-victim', 'p-anon']);
    expect(result.refusals).toEqual([]);
  });

  // A victim who has identifiers, but none of the kind the attacker adds (review of #16): the
  // attacker's address must not become the one her messages go to.
  it.each([
    [
      'an email to a person known by user id and phone',
      { 'user_id:victim': 'p-v', 'phone:+4915112345678': 'p-v' },
      { user_id: 1, phone: 1 },
      [user('victim'), email('attacker@x.io')],
      'email',
    ],
    [
      'a phone to a person known by email only',
      { 'email:victim@x.io': 'p-v' },
      { email: 1 },
      [email('victim@x.io'), phone('+4915199999999')],
      'phone',
    ],
    [
      'a user id to a person known by email only',
      { 'email:victim@x.io': 'p-v' },
      { email: 1 },
      [email('victim@x.io'), user('attacker')],
      'user_id',
    ],
  ] as const)('refuses %s', (_, known, counts, identifiers, identifierType) => {
    const result = plan([{ identifiers: [...identifiers], restricted: true }], known, { 'p-v': counts });
    expect(result.newIdentities).toEqual([]);
    expect(result.refusals).toEqual([
      { kind: 'restricted', messageIndex: 0, via: 'attach', identifier: identifiers[1], identifierType, profileId: 'p-v' },
    ]);
  });

  it('refuses a merge into a person with identifiers of a profile holding another kind', () => {
    const known = { 'user_id:victim': 'p-v', 'anonymous_id:a-att': 'p-att', 'phone:+4915199999999': 'p-att' };
    const result = plan([{ identifiers: [user('victim'), anon('a-att')], restricted: true }], known, {
      'p-v': { user_id: 1 },
      'p-att': { anonymous_id: 1, phone: 1 },
    });
    expect(result.merges).toEqual([]);
    expect(result.refusals).toEqual([
      { kind: 'restricted', messageIndex: 0, via: 'merge', identifier: anon('a-att'), identifierType: 'phone', profileId: 'p-v' },
    ]);
  });
});
