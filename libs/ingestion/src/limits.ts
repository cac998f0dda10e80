/**
 * Limits of the tracking API. Sizes follow Segment's HTTP API documentation: 32 KB per message,
 * 500 KB per batch request, at most 2,500 messages per batch, message ids under 100 characters.
 * Segment answers 200 and drops what is over; we answer 400 with the reason instead.
 */
export const TRACKING_LIMITS = {
  /** Bytes of one message (UTF-8 JSON), alone or inside a batch. */
  maxMessageBytes: 32 * 1024,
  /** Bytes of a batch request body, after gzip is inflated. */
  maxBatchBytes: 500 * 1024,
  maxBatchMessages: 2_500,
  maxMessageIdLength: 100,
  /**
   * Characters of a user, anonymous, group or previous id and of an event name. They are indexed,
   * and a btree entry must stay under ~2.7 KB: 512 characters of 4-byte UTF-8 fit.
   */
  maxIdLength: 512,
  /**
   * Objects and arrays may nest this many levels below the message itself. Real payloads nest 3–5
   * levels (context.device.…); a deeper one is a bug or an attack, and deep jsonb is slow to query.
   */
  maxNestingDepth: 16,
  /**
   * How far past its receipt a message may be dated; a later time is clamped to receipt + this
   * (as Segment rewrites timestamps from the future). Clocks of healthy devices are within
   * seconds; five minutes is the usual clock-skew allowance (Kerberos', most JWT libraries') and
   * leaves room for a client whose clock runs ahead without letting a date in 9999 pin traits.
   */
  maxFutureSkewMs: 5 * 60 * 1000,
} as const;
