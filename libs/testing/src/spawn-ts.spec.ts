import { spawnTs } from './spawn-ts';

describe('spawnTs', () => {
  beforeAll(() => {
    process.env.AK_SPAWN_TS_PROBE = 'yes';
  });
  afterAll(() => {
    delete process.env.AK_SPAWN_TS_PROBE;
  });

  it('runs a TypeScript entry point, waits for its output and reports its exit; only PATH and HOME are passed by default', async () => {
    const child = spawnTs('libs/testing/src/fixtures/print-env.ts', { GREETING: 'hello' });
    const match = await child.waitFor(/greeting=(\w+) inherited=(\w+)/, 30_000);
    expect([match[1], match[2]]).toEqual(['hello', 'no']);
    expect(await child.exited()).toEqual({ code: 3, signal: null });
  }, 40_000);

  it('passes the whole environment when asked', async () => {
    const child = spawnTs('libs/testing/src/fixtures/print-env.ts', {}, { inheritEnv: true });
    expect((await child.waitFor(/inherited=(\w+)/, 30_000))[1]).toBe('yes');
    await child.exited();
  }, 40_000);

  it('rejects a wait when the process exits first', async () => {
    const child = spawnTs('libs/testing/src/fixtures/print-env.ts', {});
    await expect(child.waitFor(/never printed/, 30_000)).rejects.toThrow(/process exited before/);
  }, 40_000);
});
