import { readRequestChecks } from './vendor-request-checks';

/** A plugin's `checkRequests` answer is third-party output: only what was asked, only members each request carried. */
describe('readRequestChecks', () => {
  const asked = [
    { requestId: 'r1', profileIds: ['a', 'b'] },
    { requestId: 'r2', profileIds: ['c'] },
  ];

  it('keeps processed answers with rejections of carried members, once each, and unattributed counts', () => {
    const read = readRequestChecks(
      [
        {
          requestId: 'r1',
          state: 'processed',
          rejected: [
            { profileId: 'a', reason: 'no consent', code: 'PROCESSING_ERROR_REASON_NO_CONSENT' },
            { profileId: 'a', reason: 'twice' },
            { profileId: 'c', reason: 'not in r1' },
            { profileId: 'b' },
          ],
        },
        { requestId: 'r2', state: 'processed', rejected: [], unattributed: { count: 1, reason: 'INVALID_FORMAT ×1' } },
      ],
      asked,
    );
    expect(read.get('r1')).toEqual({
      rejected: [
        { profileId: 'a', reason: 'no consent', code: 'PROCESSING_ERROR_REASON_NO_CONSENT' },
        { profileId: 'b', reason: 'dropped by the vendor after it accepted the member', code: null },
      ],
    });
    expect(read.get('r2')).toEqual({ rejected: [], unattributed: { count: 1, reason: 'INVALID_FORMAT ×1' } });
  });

  it('leaves pending whatever is not a processed answer to a request asked about', () => {
    expect(readRequestChecks(undefined, asked).size).toBe(0);
    expect(readRequestChecks('nope', asked).size).toBe(0);
    const read = readRequestChecks(
      [null, { requestId: 'r1', state: 'processing' }, { requestId: 'zz', state: 'processed', rejected: [] }, { state: 'processed' }],
      asked,
    );
    expect(read.size).toBe(0);
    // A second answer for the same request is ignored; a negative or fractional unattributed count is dropped.
    const twice = readRequestChecks(
      [
        { requestId: 'r2', state: 'processed', rejected: [], unattributed: { count: -3 } },
        { requestId: 'r2', state: 'processed', rejected: [{ profileId: 'c' }] },
      ],
      asked,
    );
    expect(twice.get('r2')).toEqual({ rejected: [] });
  });
});
