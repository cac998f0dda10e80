import type { DeliveryModel } from '@audiencekit/connector-sdk';
import type { ActivationMode } from '@audiencekit/persistence';

/**
 * Which activation modes a connector's delivery model supports: a list-keeping vendor mirrors or
 * adds to its list; a send-time vendor (SMS, transactional email) has no list, so it only sends.
 */
export const MODES_BY_DELIVERY_MODEL: Record<DeliveryModel, readonly ActivationMode[]> = {
  list: ['mirror', 'add_only'],
  send: ['send'],
};

/** A reason when `mode` does not fit the connector, else undefined. */
export function modeProblem(mode: ActivationMode, deliveryModel: DeliveryModel, slug: string): string | undefined {
  const allowed = MODES_BY_DELIVERY_MODEL[deliveryModel];
  if (allowed.includes(mode)) return undefined;
  return `"${mode}" is not available for connector "${slug}" (delivery model "${deliveryModel}" allows ${allowed.map((m) => `"${m}"`).join(', ')})`;
}
