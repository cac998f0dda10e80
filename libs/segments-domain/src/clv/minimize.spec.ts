import { minimizeSmooth } from './minimize';

describe('minimizeSmooth', () => {
  it('finds the minimum of the Rosenbrock function to 1e-9 from the usual start', () => {
    const result = minimizeSmooth(
      ([x, y]) => ({
        value: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        gradient: Float64Array.of(-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
      }),
      [-1.2, 1],
    );
    expect(result.converged).toBe(true);
    expect(Math.abs(result.point[0] - 1)).toBeLessThan(1e-9);
    expect(Math.abs(result.point[1] - 1)).toBeLessThan(1e-9);
  });

  it('does not call a slope towards infinity a minimum, however small its gradient gets', () => {
    // exp(z) + exp(2w) has no minimum: its gradient vanishes only as z, w → −∞.
    const result = minimizeSmooth(
      ([z, w]) => ({ value: Math.exp(z) + Math.exp(2 * w), gradient: Float64Array.of(Math.exp(z), 2 * Math.exp(2 * w)) }),
      [0, 0],
    );
    expect(result.converged).toBe(false);
    expect(result.newtonStepNorm).toBeGreaterThan(1e-6);
  });

  it('is deterministic', () => {
    const objective = ([x]: Float64Array) => ({ value: Math.cosh(x - 0.3), gradient: Float64Array.of(Math.sinh(x - 0.3)) });
    expect(minimizeSmooth(objective, [2]).point).toEqual(minimizeSmooth(objective, [2]).point);
  });
});
