const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY = new RegExp(`^(${UUID}):(${UUID})(?::(${UUID}))?$`, 'i');

/**
 * The engine's delivery key (libs/activation-engine sync-setup.ts): `<activation id>:<profile id>`
 * for sends, `…:<run id>` for list deliveries. Null when it is not one of ours.
 */
export function parseDeliveryKey(key: string | null | undefined): { activationId: string; profileId: string } | null {
  const match = key ? KEY.exec(key) : null;
  return match ? { activationId: match[1].toLowerCase(), profileId: match[2].toLowerCase() } : null;
}
