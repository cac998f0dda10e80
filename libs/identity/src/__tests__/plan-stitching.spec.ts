import { lcgAnsiC } from '@audiencekit/testing';
import {
  DEFAULT_MERGE_CAPS,
  Identifier,
  IdentifierCounts,
  identifierKey,
  MergeCaps,
  planStitching,
  profilesNeedingCounts,
  StitchMessage,
} from '../index';

const user = (value: string): Identifier => ({ type: 'user_id', value });
const anon = (value: string): Identifier => ({ type: 'anonymous_id', value });
const email = (value: string): Identifier => ({ type: 'email', value });

function ids(prefix = 'new') {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

function plan(
  messages: StitchMessage[],
  known: Record<string, string> = {},
  counts: Record<string, IdentifierCounts> = {},
  caps: MergeCaps = DEFAULT_MERGE_CAPS,
) {
  return planStitching({
    messages,
    known: new Map(Object.entries(known)),
    counts: new Map(Object.entries(counts)),
    caps,
    newProfileId: ids(),
  });
}

describe('planStitching', () => {
  it('creates one profile for a new person and stores every identifier on it', () => {
    const result = plan([{ identifiers: [user('u1'), anon('a1')] }]);
    expect(result.profileOf).toEqual(['new-1']);
    expect(result.newProfiles).toEqual(['new-1']);
    expect(result.newIdentities).toEqual([
      { type: 'user_id', value: 'u1', profileId: 'new-1' },
      { type: 'anonymous_id', value: 'a1', profileId: 'new-1' },
    ]);
    expect(result.merges).toEqual([]);
  });

  it('puts anonymous browsing and the login that follows in one batch on one profile', () => {
    const result = plan([{ identifiers: [anon('a1')] }, { identifiers: [anon('a1')] }, { identifiers: [user('u1'), anon('a1')] }]);
    expect(new Set(result.profileOf)).toEqual(new Set(['new-1']));
    expect(result.newProfiles).toEqual(['new-1']);
    expect(result.newIdentities.map((identity) => identity.type)).toEqual(['anonymous_id', 'user_id']);
  });

  it('attaches a login to the known anonymous profile (no merge needed)', () => {
    const result = plan([{ identifiers: [user('u1'), anon('a1')] }], { 'anonymous_id:a1': 'p1' }, { p1: { anonymous_id: 1 } });
    expect(result.profileOf).toEqual(['p1']);
    expect(result.newProfiles).toEqual([]);
    expect(result.newIdentities).toEqual([{ type: 'user_id', value: 'u1', profileId: 'p1' }]);
  });

  it('merges the anonymous profile of a second device into the known user', () => {
    const result = plan(
      [{ identifiers: [user('u1'), anon('b')] }],
      { 'user_id:u1': 'p1', 'anonymous_id:b': 'p2' },
      { p1: { user_id: 1, anonymous_id: 1 }, p2: { anonymous_id: 1 } },
    );
    expect(result.profileOf).toEqual(['p1']);
    expect(result.merges).toEqual([{ loser: 'p2', winner: 'p1' }]);
    expect(result.refusals).toEqual([]);
  });

  it('does not collapse two people who log in on one shared device: the cap refuses, the new login gets its own profile', () => {
    const result = plan(
      [{ identifiers: [user('u2'), anon('kiosk')] }],
      { 'anonymous_id:kiosk': 'p1', 'user_id:u1': 'p1' },
      { p1: { user_id: 1, anonymous_id: 1 } },
    );
    expect(result.profileOf).toEqual(['new-1']);
    expect(result.newIdentities).toEqual([{ type: 'user_id', value: 'u2', profileId: 'new-1' }]);
    expect(result.merges).toEqual([]);
    expect(result.refusals).toEqual([{ kind: 'merge', messageIndex: 0, winner: 'new-1', loser: 'p1', identifierType: 'user_id', cap: 1 }]);
  });

  it('refuses an email beyond the per-profile cap and says so', () => {
    const caps = { ...DEFAULT_MERGE_CAPS, email: 2 };
    const result = plan(
      [{ identifiers: [user('u1'), email('third@x.io')] }],
      { 'user_id:u1': 'p1' },
      { p1: { user_id: 1, email: 2 } },
      caps,
    );
    expect(result.profileOf).toEqual(['p1']);
    expect(result.newIdentities).toEqual([]);
    expect(result.refusals).toEqual([{ kind: 'attach', messageIndex: 0, identifier: email('third@x.io'), profileId: 'p1', cap: 2 }]);
  });

  it('refuses a merge that would put more emails on one profile than the cap allows', () => {
    const caps = { ...DEFAULT_MERGE_CAPS, email: 3 };
    const result = plan(
      [{ identifiers: [email('a@x.io'), anon('d')] }],
      { 'email:a@x.io': 'p1', 'anonymous_id:d': 'p2' },
      { p1: { email: 2 }, p2: { email: 2, anonymous_id: 1 } },
      caps,
    );
    expect(result.merges).toEqual([]);
    expect(result.refusals).toMatchObject([{ kind: 'merge', winner: 'p1', loser: 'p2', identifierType: 'email' }]);
  });

  it('resolves chains of merges within a batch to the final winner', () => {
    const known = { 'anonymous_id:x': 'p1', 'anonymous_id:y': 'p2', 'anonymous_id:z': 'p3' };
    const counts = { p1: { anonymous_id: 1 }, p2: { anonymous_id: 1 }, p3: { anonymous_id: 1 } };
    const result = plan([{ identifiers: [anon('x'), anon('y')] }, { identifiers: [anon('z'), anon('y')] }], known, counts);
    expect(result.merges).toEqual([
      { loser: 'p2', winner: 'p3' },
      { loser: 'p1', winner: 'p3' },
    ]);
    expect(result.profileOf).toEqual(['p3', 'p3']);
  });

  it('never creates a profile that the same batch merges away; its identifiers go to the winner', () => {
    const result = plan(
      [{ identifiers: [anon('a')] }, { identifiers: [user('u1'), anon('a')] }],
      { 'user_id:u1': 'p0' },
      { p0: { user_id: 1 } },
    );
    expect(result.newProfiles).toEqual([]);
    expect(result.merges).toEqual([]);
    expect(result.profileOf).toEqual(['p0', 'p0']);
    expect(result.newIdentities).toEqual([{ type: 'anonymous_id', value: 'a', profileId: 'p0' }]);
  });

  it('treats alias as an explicit instruction: two user ids merge despite the cap', () => {
    const result = plan(
      [{ identifiers: [user('new-id')], previousId: 'old-id' }],
      { 'user_id:old-id': 'p-old', 'user_id:new-id': 'p-new' },
      { 'p-old': { user_id: 1 }, 'p-new': { user_id: 1 } },
    );
    expect(result.merges).toEqual([{ loser: 'p-old', winner: 'p-new' }]);
    expect(result.refusals).toEqual([]);
  });

  it('reads an unknown alias previous id as an anonymous id', () => {
    const result = plan([{ identifiers: [user('u1')], previousId: 'cookie-9' }]);
    expect(result.newIdentities).toEqual([
      { type: 'user_id', value: 'u1', profileId: 'new-1' },
      { type: 'anonymous_id', value: 'cookie-9', profileId: 'new-1' },
    ]);
  });

  it('throws when a decision needs counts the caller did not provide', () => {
    expect(() => plan([{ identifiers: [user('u9'), anon('a')] }], { 'anonymous_id:a': 'p1' })).toThrow(/counts of profile p1/);
  });

  it('throws on a message without identifiers', () => {
    expect(() => plan([{ identifiers: [] }])).toThrow(/no identifier/);
  });
});

describe('profilesNeedingCounts', () => {
  it('needs none for the common case of known identifiers that agree', () => {
    const known = new Map([
      ['user_id:u1', 'p1'],
      ['anonymous_id:a1', 'p1'],
    ]);
    expect(profilesNeedingCounts([{ identifiers: [user('u1'), anon('a1')] }], known)).toEqual(new Set());
  });

  it('needs the profiles of messages that bring a new identifier or link two profiles', () => {
    const known = new Map([
      ['user_id:u1', 'p1'],
      ['anonymous_id:a2', 'p2'],
      ['user_id:u3', 'p3'],
    ]);
    const needed = profilesNeedingCounts([{ identifiers: [user('u1'), anon('a2')] }, { identifiers: [user('u3'), anon('new')] }], known);
    expect(needed).toEqual(new Set(['p1', 'p2', 'p3']));
  });
});

describe('stitching invariant on random batches (uncapped)', () => {
  // With no caps, stitching is connected components: any two messages that share an identifier,
  // directly or through a chain, end on the same profile, and every stored identifier points to it.
  const uncapped: MergeCaps = { user_id: Infinity, email: Infinity, phone: Infinity, anonymous_id: Infinity };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const random = lcgAnsiC(seed);
    const pick = (n: number) => Math.floor(random() * n);
    const messages: StitchMessage[] = Array.from({ length: 60 }, () => {
      const identifiers: Identifier[] = [];
      if (random() < 0.5) identifiers.push(user(`u${pick(15)}`));
      if (random() < 0.3) identifiers.push(email(`e${pick(15)}@x.io`));
      if (identifiers.length === 0 || random() < 0.6) identifiers.push(anon(`a${pick(25)}`));
      return { identifiers };
    });
    const result = plan(messages, {}, {}, uncapped);

    // Reference: union-find over identifiers, independent of the planner's order of decisions.
    const parent = new Map<string, string>();
    const root = (key: string): string => {
      const up = parent.get(key) ?? key;
      return up === key ? key : root(up);
    };
    for (const message of messages) {
      const keys = message.identifiers.map(identifierKey);
      for (const key of keys.slice(1)) parent.set(root(key), root(keys[0]));
    }
    const profileOfComponent = new Map<string, string | null>();
    messages.forEach((message, index) => {
      const component = root(identifierKey(message.identifiers[0]));
      const seen = profileOfComponent.get(component);
      if (seen === undefined) profileOfComponent.set(component, result.profileOf[index]);
      else expect(result.profileOf[index]).toBe(seen);
    });
    expect(new Set(result.profileOf).size).toBe(profileOfComponent.size);
    for (const identity of result.newIdentities) {
      expect(identity.profileId).toBe(profileOfComponent.get(root(identifierKey(identity))));
    }
    expect(new Set(result.newProfiles)).toEqual(new Set(result.profileOf));
  });
});
