import { Logger } from '@nestjs/common';
import { waitUntil } from '@audiencekit/testing';
import { PeriodicPass } from './periodic-pass';

describe('PeriodicPass', () => {
  const quiet = { error: jest.fn() } as unknown as Logger;

  it('never overlaps two passes, retries after a failed one, and stops only after the pass in flight', async () => {
    let active = 0;
    let mostAtOnce = 0;
    let passes = 0;
    let finished = 0;
    const pass = async () => {
      passes += 1;
      active += 1;
      mostAtOnce = Math.max(mostAtOnce, active);
      await new Promise((resolve) => setTimeout(resolve, 30)); // slower than the interval
      active -= 1;
      finished += 1;
      if (passes === 2) throw new Error('vendor down');
    };
    const periodic = new PeriodicPass('probe', 5, pass, quiet);
    periodic.start({ now: true });
    await waitUntil(() => passes >= 4, 5_000, 5);
    await periodic.stop();
    expect(mostAtOnce).toBe(1);
    expect(finished).toBe(passes); // the pass in flight ended before stop resolved
    expect(quiet.error).toHaveBeenCalledWith(expect.stringContaining('probe failed (the next pass retries): vendor down'));
    const after = passes;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(passes).toBe(after);
  });
});
