import { GroupCommit } from '../group-commit';

/** A commit function that records its groups and finishes when the test says so. */
function recordingCommit(fail: (item: string) => boolean = () => false) {
  const groups: string[][] = [];
  const finishers: (() => void)[] = [];
  const commit = (items: string[]) => {
    groups.push(items);
    return new Promise<string[]>((resolve, reject) => {
      finishers.push(() =>
        items.some(fail) ? reject(new Error(`cannot store ${items.find(fail)}`)) : resolve(items.map((item) => `stored ${item}`)),
      );
    });
  };
  const finishNext = async () => {
    finishers.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { groups, commit, finishNext };
}

describe('GroupCommit', () => {
  it('commits a call at once when idle, and gathers the calls that arrive meanwhile into the next group', async () => {
    const { groups, commit, finishNext } = recordingCommit();
    const group = new GroupCommit(commit, { maxInFlight: 1, maxGroupSize: 100, retryAlone: () => true });
    const results = ['a', 'b', 'c', 'd'].map((item) => group.submit(item, 1));
    expect(groups).toEqual([['a']]);
    await finishNext();
    expect(groups).toEqual([['a'], ['b', 'c', 'd']]);
    await finishNext();
    expect(await Promise.all(results)).toEqual(['stored a', 'stored b', 'stored c', 'stored d']);
  });

  it('runs up to maxInFlight groups at once', async () => {
    const { groups, commit, finishNext } = recordingCommit();
    const group = new GroupCommit(commit, { maxInFlight: 2, maxGroupSize: 100, retryAlone: () => true });
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => group.submit(item, 1));
    expect(groups).toEqual([['a'], ['b']]);
    await finishNext();
    expect(groups).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    await finishNext();
    await finishNext();
    expect(await Promise.all(results)).toHaveLength(5);
  });

  it('keeps a group within maxGroupSize units, in arrival order, but never refuses a call larger than that', async () => {
    const { groups, commit, finishNext } = recordingCommit();
    const group = new GroupCommit(commit, { maxInFlight: 1, maxGroupSize: 10, retryAlone: () => true });
    const sizes: [string, number][] = [
      ['first', 1],
      ['big', 25],
      ['x', 4],
      ['y', 4],
      ['z', 4],
    ];
    const results = sizes.map(([item, size]) => group.submit(item, size));
    for (let round = 0; round < 4; round++) await finishNext();
    expect(groups).toEqual([['first'], ['big'], ['x', 'y'], ['z']]);
    expect(await Promise.all(results)).toHaveLength(5);
  });

  it('stores the calls of a failed group again one at a time, so only the call that cannot be stored fails', async () => {
    const { groups, commit, finishNext } = recordingCommit((item) => item === 'bad');
    const group = new GroupCommit(commit, { maxInFlight: 1, maxGroupSize: 100, retryAlone: () => true });
    const results = ['a', 'b', 'bad', 'c'].map((item) =>
      group.submit(item, 1).then(
        (value) => value,
        (error: Error) => error.message,
      ),
    );
    await finishNext(); // a
    await finishNext(); // b, bad, c together: fails
    for (let round = 0; round < 3; round++) await finishNext(); // each alone
    expect(groups).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
    expect(await Promise.all(results)).toEqual(['stored a', 'stored b', 'cannot store bad', 'stored c']);
  });

  it('fails the whole group at once when the failure would meet every call (retryAlone says no)', async () => {
    const { groups, commit, finishNext } = recordingCommit((item) => item === 'b');
    const group = new GroupCommit(commit, { maxInFlight: 1, maxGroupSize: 100, retryAlone: () => false });
    const results = ['a', 'b', 'c'].map((item) =>
      group.submit(item, 1).then(
        (value) => value,
        (error: Error) => error.message,
      ),
    );
    await finishNext();
    await finishNext();
    expect(groups).toEqual([['a'], ['b', 'c']]);
    expect(await Promise.all(results)).toEqual(['stored a', 'cannot store b', 'cannot store b']);
  });
});
