import { mulberry32 } from '@audiencekit/util';
import { compareDecimals, addDecimals, subtractDecimals, toDecimal } from './values';

/** The exact decimal a number prints as, by its printed form alone (what toDecimal did for every number). */
function printedDecimal(value: number): { units: bigint; scale: number } {
  const [mantissa, exponentText] = value.toString().toLowerCase().split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const [whole, fraction = ''] = mantissa.split('.');
  const units = BigInt(whole + fraction);
  const scale = fraction.length - exponent;
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 };
}

describe('exact decimals', () => {
  it('toDecimal of a safe integer (its shortcut) is the decimal it prints as', () => {
    const random = mulberry32(11);
    const edges = [0, -0, 1, -1, 9, 10, 1e15, -1e15, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31)];
    const randoms = Array.from({ length: 2_000 }, () => Math.round((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER * random() ** 8));
    for (const value of [...edges, ...randoms]) expect(toDecimal(value)).toEqual(printedDecimal(value));
  });

  it('keeps the printed form for what is not a safe integer', () => {
    for (const value of [0.1, -2.5, 12.34, 1e21, 2 ** 53, 1.5e-7, 123456789.123]) expect(toDecimal(value)).toEqual(printedDecimal(value));
  });

  it('subtracts exactly (prefix sums of aggregates)', () => {
    const [a, b] = [toDecimal(0.3), toDecimal(0.1)];
    expect(compareDecimals(subtractDecimals(addDecimals(a, b), b), a)).toBe(0);
    expect(compareDecimals(subtractDecimals(toDecimal(0.3), toDecimal(0.1)), toDecimal(0.2))).toBe(0);
  });
});
