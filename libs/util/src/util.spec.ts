import {
  assertNever,
  cadenceProblem,
  CodedException,
  errorMessage,
  isUuid,
  latestDueFireTime,
  MANUAL_CADENCE,
  REALTIME_CADENCE,
} from './index';

describe('isUuid', () => {
  it.each([
    ['9b2c7f0e-3c1a-4d5e-8f00-1a2b3c4d5e6f', true],
    ['9B2C7F0E-3C1A-4D5E-8F00-1A2B3C4D5E6F', true],
    ['9b2c7f0e3c1a4d5e8f001a2b3c4d5e6f', false],
    ['not-a-uuid', false],
    ['9b2c7f0e-3c1a-4d5e-8f00-1a2b3c4d5e6f ', false],
    ["9b2c7f0e-3c1a-4d5e-8f00-1a2b3c4d5e6f' OR 1=1", false],
  ])('%s → %s', (value, expected) => expect(isUuid(value)).toBe(expected));
});

describe('cadence', () => {
  it('accepts manual and cron expressions and names the problem of anything else', () => {
    expect(cadenceProblem(MANUAL_CADENCE)).toBeUndefined();
    expect(cadenceProblem('*/15 * * * *')).toBeUndefined();
    expect(cadenceProblem('every tuesday')).toMatch(/is not "manual" or a valid cron expression/);
  });

  it('accepts realtime only where a segment cadence is meant', () => {
    expect(cadenceProblem(REALTIME_CADENCE, { allowRealtime: true })).toBeUndefined();
    expect(cadenceProblem(REALTIME_CADENCE)).toMatch(/is not "manual" or a valid cron expression/);
    expect(cadenceProblem('sometimes', { allowRealtime: true })).toMatch(/is not "manual", "realtime" or a valid cron expression/);
  });

  it('reconciles a real-time segment daily at 03:17 UTC', () => {
    const due = latestDueFireTime(REALTIME_CADENCE, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T12:00:00Z'));
    expect(due?.toISOString()).toBe('2026-01-02T03:17:00.000Z');
  });

  it('gives one catch-up fire time, the latest missed one, after a long stop', () => {
    const due = latestDueFireTime('0 * * * *', new Date('2026-01-01T00:30:00Z'), new Date('2026-01-03T05:10:00Z'));
    expect(due?.toISOString()).toBe('2026-01-03T05:00:00.000Z');
  });

  it('is never due for a manual cadence, nor before the next fire time', () => {
    expect(latestDueFireTime(MANUAL_CADENCE, new Date(0), new Date())).toBeUndefined();
    expect(latestDueFireTime('0 * * * *', new Date('2026-01-01T00:30:00Z'), new Date('2026-01-01T00:59:59Z'))).toBeUndefined();
  });
});

describe('assertNever', () => {
  it('throws naming the value that slipped past the type', () => {
    expect(() => assertNever('circle' as never, 'shape')).toThrow('unexpected shape: "circle"');
  });
});

describe('CodedException', () => {
  type ProbeExceptionCode = 'probe_failed';
  class ProbeException extends CodedException<ProbeExceptionCode> {
    constructor(message: string) {
      super('probe_failed', message, [{ path: 'probe.field', message: 'is wrong' }]);
    }
  }

  it('carries its code, details and its own class name', () => {
    const error = new ProbeException('the probe failed');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      code: 'probe_failed',
      name: 'ProbeException',
      message: 'the probe failed',
      details: [{ path: 'probe.field', message: 'is wrong' }],
    });
    expect(errorMessage(error)).toBe('the probe failed');
    expect(errorMessage('plain')).toBe('plain');
  });
});
