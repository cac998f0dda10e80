import { BlockList, isIP } from 'node:net';

/**
 * An address as the API records it: an IPv4-mapped IPv6 socket address (`::ffff:203.0.113.7`, what
 * Node reports on a dual-stack listener) becomes the IPv4 it is; anything that is not an IP is null.
 */
export function normalizeIp(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 45) return null;
  const text = value.startsWith('::ffff:') && isIP(value.slice(7)) === 4 ? value.slice(7) : value;
  return isIP(text) === 0 ? null : text.toLowerCase();
}

// Addresses that name no place on the public Internet: a geolocation database has nothing for them
// (RFC 6890's special-purpose registries, the parts that matter for a request's address).
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation (TEST-NET-1..3)
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3], // multicast and reserved
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link local
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether a normalised address is private, loopback, link-local or otherwise not a public one. */
export function isNonPublicIp(ip: string): boolean {
  return NOT_PUBLIC.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * The address with its host part zeroed: IPv4 to its /24 (`203.0.113.7` → `203.0.113.0`), IPv6 to
 * its /48 (`2001:db8:1:2::3` → `2001:db8:1::`), as Google Analytics' IP anonymisation did.
 */
export function truncateIp(ip: string): string {
  if (!ip.includes(':')) return `${ip.slice(0, ip.lastIndexOf('.'))}.0`;
  const groups = expandIpv6(ip).slice(0, 3);
  // Shortest form: leading zeros dropped, the trailing zero groups written as `::`.
  while (groups.length > 0 && /^0+$/.test(groups[groups.length - 1])) groups.pop();
  return `${groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIpv6(ip: string): string[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right];
}
