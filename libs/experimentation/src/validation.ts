import { ExperimentationException } from './experimentation.exception';

/** A non-negative integer (a count of members or conversions). */
export function assertCount(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ExperimentationException('invalid_number', field, `must be a non-negative integer, got ${String(value)}`);
  }
}

/** Any finite number (a sum of values that may be negative, e.g. revenue net of refunds). */
export function assertFinite(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ExperimentationException('invalid_number', field, `must be a finite number, got ${String(value)}`);
  }
}

/** A finite number ≥ 0. */
export function assertNonNegative(value: unknown, field: string): asserts value is number {
  assertFinite(value, field);
  if (value < 0) throw new ExperimentationException('invalid_number', field, `must be ≥ 0, got ${value}`);
}

/** A probability strictly between 0 and 1 (a significance level, a power, a threshold). */
export function assertOpenUnitInterval(
  value: unknown,
  field: string,
  code: 'invalid_option' | 'invalid_share' = 'invalid_option',
): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new ExperimentationException(code, field, `must be a number with 0 < value < 1, got ${String(value)}`);
  }
}

/** A rate in [0, 1] (a conversion rate). */
export function assertRate(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ExperimentationException('invalid_option', field, `must be a number with 0 ≤ value ≤ 1, got ${String(value)}`);
  }
}
