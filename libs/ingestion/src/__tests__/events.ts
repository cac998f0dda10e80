import { parseTrackingMessage, TrackingEvent, TrackingMessageType } from '../index';

let sequence = 0;

/** A tracking event built through the real parser, as the API would. */
export function trackingEvent(type: TrackingMessageType, message: Record<string, unknown>, receivedAt = new Date()): TrackingEvent {
  sequence += 1;
  const result = parseTrackingMessage({ messageId: `test-${process.pid}-${sequence}`, ...message }, type, { receivedAt, checkSize: true });
  if (!result.ok) throw new Error(`bad test message: ${JSON.stringify(result.errors)}`);
  return result.event;
}
