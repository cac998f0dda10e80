import { Identifier } from './identifier';
import { normalizeEmail } from './normalize-email';
import { normalizePhone } from './normalize-phone';

/** The parts of a tracking message that can identify a person. */
export interface IdentifiableMessage {
  userId?: string | null;
  anonymousId?: string | null;
  /**
   * Traits describing the person: an identify call's `traits` (or `context.traits`), or the
   * `context.traits` of other calls. Never a group call's traits: those describe the group.
   */
  personTraits?: Record<string, unknown> | null;
}

export interface ExtractOptions {
  /** Country assumed for phone numbers written without `+` (ISO 3166 alpha-2). */
  defaultPhoneCountry?: string;
}

/**
 * The normalised identifiers of a message, strongest first: user id, email, phone, anonymous id.
 * Ids are kept as sent (they are opaque); emails and phones are normalised, and dropped when they
 * do not parse (they stay in the traits, but stitch nothing).
 *
 * @example extractIdentifiers({ userId: 'u1', personTraits: { email: ' A@B.io ' } })
 * // [{ type: 'user_id', value: 'u1' }, { type: 'email', value: 'a@b.io' }]
 */
export function extractIdentifiers(message: IdentifiableMessage, options: ExtractOptions = {}): Identifier[] {
  const identifiers: Identifier[] = [];
  if (message.userId) identifiers.push({ type: 'user_id', value: message.userId });
  const email = normalizeEmail(message.personTraits?.['email']);
  if (email) identifiers.push({ type: 'email', value: email });
  const phone = normalizePhone(message.personTraits?.['phone'], options.defaultPhoneCountry);
  if (phone) identifiers.push({ type: 'phone', value: phone });
  if (message.anonymousId) identifiers.push({ type: 'anonymous_id', value: message.anonymousId });
  return identifiers;
}
