import { CONSENT_TRAITS, IdentifierType, Refusal } from '@audiencekit/identity';
import { RejectedMessage, TrackingEvent } from './tracking-event';

/**
 * How far a source is trusted (the write key's `trust`). `server`: a backend that keeps its key
 * secret. `client`: a key that may be embedded in a browser or an app, so anyone may hold it: its
 * messages may not add a user id, email or phone to a profile that already has one of that kind
 * (that would redirect someone's messages to another address), nor set consent traits.
 */
export type SourceTrust = 'server' | 'client';

/** Who sent a call of `IngestionService.ingest`. */
export interface IngestSource {
  /** The write key that sent the events (`events.source_id`; messageIds are unique per source). Null: imports and internal writers. */
  sourceId?: string | null;
  /** Absent: `server` (the CSV import and other callers run by the operator). */
  trust?: SourceTrust;
}

const CLIENT_CONSENT_REASON = `a client source may not set consent traits (${CONSENT_TRAITS.join(', ')}): send them with a server write key`;

/** The events of a client source that carry consent traits, refused before anything is stored. */
export function consentRefusals(events: readonly TrackingEvent[]): RejectedMessage[] {
  const refused: RejectedMessage[] = [];
  events.forEach((event, index) => {
    const trait = event.traits ? CONSENT_TRAITS.find((name) => name in (event.traits as Record<string, unknown>)) : undefined;
    if (trait) refused.push({ index, messageId: event.messageId, errors: [{ path: `traits.${trait}`, message: CLIENT_CONSENT_REASON }] });
  });
  return refused;
}

const LABELS: Record<IdentifierType, string> = {
  user_id: 'a user id',
  email: 'an email',
  phone: 'a phone number',
  anonymous_id: 'an anonymous id',
};

/** The rejection of a message stitching refused because its source is a client (see `StitchMessage.restricted`). */
export function restrictedRejection(
  event: TrackingEvent,
  index: number,
  refusal: Extract<Refusal, { kind: 'restricted' }>,
): RejectedMessage {
  const path = fieldOf(event, refusal.identifier.type, refusal.identifier.value);
  const label = LABELS[refusal.identifierType];
  const message =
    refusal.via === 'attach'
      ? `a client source may not add ${label} to a profile that already has one: send it with a server write key`
      : `a client source may not merge the profile of this ${path} into one that already has ${label}: both would be kept; send it with a server write key`;
  return { index, messageId: event.messageId, errors: [{ path, message }] };
}

/** The message field an identifier came from. */
function fieldOf(event: TrackingEvent, type: IdentifierType, value: string): string {
  if (event.previousId !== null && value === event.previousId && (type === 'anonymous_id' || value !== event.userId)) return 'previousId';
  if (type === 'user_id') return 'userId';
  if (type === 'anonymous_id') return 'anonymousId';
  return `${event.type === 'identify' ? 'traits' : 'context.traits'}.${type}`;
}
