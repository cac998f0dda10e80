import { waitUntil } from './wait-until';

describe('waitUntil', () => {
  it('resolves once the condition holds, polling at the interval', async () => {
    let polls = 0;
    const started = Date.now();
    await waitUntil(() => ++polls === 4, 5_000, 20);
    expect(polls).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55); // three pauses of 20 ms
  });

  it('accepts an async condition', async () => {
    let calls = 0;
    await expect(waitUntil(async () => ++calls > 1, 1_000, 1)).resolves.toBeUndefined();
  });

  it('fails naming the timeout once the deadline has passed', async () => {
    await expect(waitUntil(async () => false, 50, 10)).rejects.toThrow('condition not met within 50 ms');
  });
});
