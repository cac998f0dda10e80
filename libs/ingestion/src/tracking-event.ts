import type { TrackingMessageType } from './tracking-message.schema';

/** A validated tracking message, normalised to what the events table and stitching need. */
export interface TrackingEvent {
  /** The client's messageId, or one derived from the message content (so a retry still dedupes). */
  messageId: string;
  type: TrackingMessageType;
  /** Event name for track, page/screen name for page and screen, null otherwise. */
  name: string | null;
  /**
   * When it happened (the client's timestamp, corrected for clock skew when only originalTimestamp
   * is sent), never later than `receivedAt` plus `TRACKING_LIMITS.maxFutureSkewMs`.
   */
  timestamp: Date;
  /** When the server received it: orders consent changes (an opt-out received later wins). */
  receivedAt: Date;
  /** track/page/screen properties; identify traits; group `{ groupId, traits }`; alias `{ previousId }`. */
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
  userId: string | null;
  anonymousId: string | null;
  /** alias only: the id being aliased to userId. */
  previousId: string | null;
  /** identify only: traits to merge into the profile (last write wins by `timestamp`). */
  traits: Record<string, unknown> | null;
  /** Traits describing the person, read for email and phone stitching (never a group's traits). */
  personTraits: Record<string, unknown> | null;
  /**
   * When the person was first seen, as a trusted importer knows it (the CSV importer's
   * `--first-seen-column`); never read from a tracking message. Lowers the profile's
   * `first_seen_at` to this time when earlier (earliest wins; an earlier event still wins over it).
   */
  firstSeenAt?: Date;
}

/** One problem with one field: `path` is relative to the message (`properties.price`), or to the body for a batch (`batch[3].timestamp`). */
export interface MessageProblem {
  path: string;
  message: string;
}

export interface RejectedMessage {
  index: number;
  messageId?: string;
  errors: MessageProblem[];
}
