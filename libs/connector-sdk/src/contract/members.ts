/**
 * Who a connector may contact, and what it says back about each of them.
 *
 * A plugin only ever sees `EligibleMember`s. The type carries a brand that no plugin can name, and
 * only the activation core's eligibility step (`libs/activation-engine/src/pipeline/eligibility.ts`) mints
 * members, after the global holdout, the activation's control group, suppressions, consent and
 * identifier checks. A lint rule forbids casting to `EligibleMember` anywhere else (the SDK's own
 * test kit excepted), and the sync runner re-checks the holdout right before every call.
 */

/** Identifiers a connector can ask for. Values arrive normalised (email lower-cased, phone E.164). */
export type IdentifierKind = 'email' | 'phone' | 'external_id';
export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email', 'phone', 'external_id'];

declare const eligibleBrand: unique symbol;

export interface MemberData {
  /** Our profile id (stable; use it to correlate outcomes, never send it as PII). */
  readonly profileId: string;
  /** Normalised identifiers this profile has; only the kinds the connector declared are present. */
  readonly identifiers: Readonly<Partial<Record<IdentifierKind, string>>>;
  /** Profile traits, for custom fields and personalisation. */
  readonly traits: Readonly<Record<string, unknown>>;
  /**
   * Values of computed and SQL traits (issue #20), keyed by trait key, for the keys this activation
   * uses (the connector's `computedTraitRefs(settings)` and `{{computed.<key>}}` placeholders of the
   * message); a key the profile has no value for is absent. Address them as `computed.<key>`
   * (`memberValue`, `renderTemplate`). Absent when the activation uses none.
   */
  readonly computed?: Readonly<Record<string, unknown>>;
  /**
   * Stable per member and per delivery (the same across a resumed run): pass it to the vendor as an
   * idempotency key or custom argument where the vendor supports one, so a retried call is not a
   * second message.
   */
  readonly deliveryKey: string;
}

/** A member that passed holdout, suppression, consent and identifier checks. Only the core mints these. */
export type EligibleMember = MemberData & { readonly [eligibleBrand]: true };

/** One outcome per member of a batch, in any order, keyed by profile id. */
export type RecordOutcome =
  | { profileId: string; status: 'delivered'; vendorId?: string }
  | { profileId: string; status: 'retryable'; reason: string; retryAfterMs?: number }
  | {
      profileId: string;
      status: 'rejected';
      reason: string;
      /** Vendor's code, e.g. `21211`. */
      code?: string;
      /** The vendor says never contact this identifier again (e.g. SMS STOP): the core suppresses it. */
      suppress?: { identifier: IdentifierKind; reason: string };
    };

export const delivered = (member: MemberData, vendorId?: string): RecordOutcome => ({
  profileId: member.profileId,
  status: 'delivered',
  ...(vendorId ? { vendorId } : {}),
});

export const rejected = (member: MemberData, reason: string, code?: string): RecordOutcome => ({
  profileId: member.profileId,
  status: 'rejected',
  reason,
  ...(code ? { code } : {}),
});

export const retryable = (member: MemberData, reason: string, retryAfterMs?: number): RecordOutcome => ({
  profileId: member.profileId,
  status: 'retryable',
  reason,
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});

/** Every member of the batch delivered: the common answer of a list API that accepts a whole batch. */
export const allDelivered = (members: readonly MemberData[]): RecordOutcome[] => members.map((member) => delivered(member));
