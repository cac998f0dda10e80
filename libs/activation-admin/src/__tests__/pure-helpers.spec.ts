import { modeProblem } from '../activations/delivery-modes';
import { isoDurationDays } from '../lift/lift-query.schema';
import { reportWindow } from '../lift/lift-report.service';
import type { ArmAggregate } from '../lift/lift-data.repository';

const arm = (first: string | null, last: string | null): ArmAggregate => ({
  members: 0,
  conversions: 0,
  revenueSum: 0,
  revenueSumOfSquares: 0,
  valuedEvents: 0,
  sumX: 0,
  sumXY: 0,
  firstExposedAt: first ? new Date(first) : null,
  lastExposedAt: last ? new Date(last) : null,
});

describe('lift windows', () => {
  it.each([
    ['P30D', 30],
    ['p7d', 7],
    ['P2W', 14],
    ['P1D', 1],
    ['30', undefined],
    ['P1M', undefined],
    ['PT24H', undefined],
    ['P3DT1H', undefined],
  ])('%s → %s days', (text, days) => {
    expect(isoDurationDays(text)).toBe(days);
  });

  it('spans the first exposure to the last member’s window end, cut at asOf', () => {
    const arms = [arm('2026-05-01T00:00:00Z', '2026-05-03T00:00:00Z'), arm('2026-05-02T00:00:00Z', '2026-05-04T00:00:00Z')];
    expect(reportWindow(arms, 7, new Date('2026-06-01T00:00:00Z'))).toEqual({
      start: '2026-05-01T00:00:00.000Z',
      end: '2026-05-11T00:00:00.000Z',
    });
    expect(reportWindow(arms, 7, new Date('2026-05-05T00:00:00Z'))).toEqual({
      start: '2026-05-01T00:00:00.000Z',
      end: '2026-05-05T00:00:00.000Z',
    });
  });

  it('is the W before asOf with no exposures, and never empty', () => {
    expect(reportWindow([arm(null, null), arm(null, null)], 2, new Date('2026-05-05T00:00:00Z'))).toEqual({
      start: '2026-05-03T00:00:00.000Z',
      end: '2026-05-05T00:00:00.000Z',
    });
    const at = '2026-05-05T00:00:00.000Z';
    expect(reportWindow([arm(at, at)], 7, new Date(at))).toEqual({ start: at, end: '2026-05-05T00:00:00.001Z' });
  });
});

describe('modes by delivery model', () => {
  it('lets list connectors mirror or add, and send-time connectors only send', () => {
    expect(modeProblem('mirror', 'list', 'x')).toBeUndefined();
    expect(modeProblem('add_only', 'list', 'x')).toBeUndefined();
    expect(modeProblem('send', 'list', 'x')).toContain('allows "mirror", "add_only"');
    expect(modeProblem('send', 'send', 'x')).toBeUndefined();
    expect(modeProblem('mirror', 'send', 'sms')).toBe(
      '"mirror" is not available for connector "sms" (delivery model "send" allows "send")',
    );
  });
});
