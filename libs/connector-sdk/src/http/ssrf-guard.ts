import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard: a destination's URL is typed by a marketer, so without this a
 * webhook could reach the database, the cloud metadata service (169.254.169.254) or an admin port.
 * Every address a host name resolves to must be public, unless the operator allow-listed the host.
 */

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3], // multicast and reserved, up to 255.255.255.255
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
  // The same ranges written as IPv4-mapped IPv6 (::ffff:127.0.0.1) reach the same hosts.
  PRIVATE.addSubnet(`::ffff:${network}`, 96 + prefix, 'ipv6');
}
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local
PRIVATE.addSubnet('fe80::', 10, 'ipv6'); // link-local
PRIVATE.addSubnet('ff00::', 8, 'ipv6'); // multicast

/** True for loopback, private, link-local, carrier-grade NAT, unspecified and multicast addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class RefusedTargetError extends Error {
  readonly code = 'EAK_WEBHOOK_REFUSED_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedTargetError';
  }
}

/** Host names the operator allows even when private (`AK_WEBHOOK_ALLOWED_HOSTS`), lower-cased. */
export type AllowedHosts = () => readonly string[];

/** Reads `AK_WEBHOOK_ALLOWED_HOSTS=127.0.0.1,localhost` at call time (plugins get no config module). */
export const allowedHostsFromEnv: AllowedHosts = () =>
  (process.env.AK_WEBHOOK_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1'))
    .filter((host) => host !== '');

/** The URL's host name without IPv6 brackets, as the allow-list spells it. */
export const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/** Every address of a host name (the system resolver, as the HTTP client would use it). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const resolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * Refuses a URL whose host is private, or resolves to any private address, unless allow-listed.
 * @throws RefusedTargetError naming the host and the address
 */
export async function assertPublicTarget(url: URL, allowedHosts: AllowedHosts, resolve: ResolveAll = resolveAll): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedTargetError(`webhook URL must be http or https, not ${url.protocol}`);
  const host = hostOf(url);
  if (allowedHosts().includes(host)) return;
  const addresses = isIP(host) ? [host] : (await resolve(host)).map((entry) => entry.address);
  const refused = addresses.find(isPrivateAddress);
  if (refused !== undefined) {
    throw new RefusedTargetError(`webhook host ${host} resolves to the private address ${refused}; allow it with AK_WEBHOOK_ALLOWED_HOSTS if intended`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP agent: checks the addresses actually connected to, so a host name that
 * resolved to a public address for `assertPublicTarget` cannot re-resolve to a private one (DNS
 * rebinding) between the check and the connection.
 */
export function guardedLookup(allowedHosts: AllowedHosts, resolve: ResolveAll = resolveAll) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const host = hostname.toLowerCase();
    resolve(host).then(
      (addresses) => {
        const refused = allowedHosts().includes(host) ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
        if (refused) return callback(new RefusedTargetError(`webhook host ${host} resolved to the private address ${refused.address}`), '');
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
