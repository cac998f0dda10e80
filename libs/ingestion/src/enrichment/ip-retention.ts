/**
 * What happens to `context.ip` once the location is derived from it (`AK_IP_RETENTION`): kept as
 * received, truncated (IPv4 /24, IPv6 /48) or dropped, before the event is stored.
 */
export const IP_RETENTIONS = ['keep', 'truncate', 'drop'] as const;
export type IpRetention = (typeof IP_RETENTIONS)[number];

/** The default: an address to the household is personal data; its /24 or /48 is not, and still places it. */
export const DEFAULT_IP_RETENTION: IpRetention = 'truncate';
