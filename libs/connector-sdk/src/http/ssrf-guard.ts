import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { PayloadValidationError } from '../contract/connector-errors';

/**
 * Server-side request forgery guard. Destination settings are typed by people (a webhook URL), and
 * the server sits next to the database, the cloud metadata service (169.254.169.254) and admin
 * ports; so every address an outbound request connects to must be public, unless the operator
 * allow-listed the host. Used by the SDK's guarded HTTP client (`createGuardedHttp`), never alone.
 */

const PRIVATE_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890), e.g. NAT64 discovery 192.0.0.170
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking (RFC 2544), used inside some clouds' networks
  ['224.0.0.0', 3], // multicast and reserved, up to 255.255.255.255
] as const) {
  PRIVATE_V4.addSubnet(network, prefix, 'ipv4');
}

const PRIVATE_V6 = new BlockList();
PRIVATE_V6.addSubnet('::', 96, 'ipv6'); // unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
PRIVATE_V6.addSubnet('fc00::', 7, 'ipv6'); // unique local
PRIVATE_V6.addSubnet('fe80::', 10, 'ipv6'); // link-local
PRIVATE_V6.addSubnet('fec0::', 10, 'ipv6'); // site-local (deprecated, still routed by some stacks)
PRIVATE_V6.addSubnet('ff00::', 8, 'ipv6'); // multicast
PRIVATE_V6.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64 (RFC 8215): the operator's own translator, any embedding
PRIVATE_V6.addSubnet('2001::', 32, 'ipv6'); // Teredo: server and client addresses obfuscated inside; no vendor endpoint uses it

/**
 * IPv6 forms that carry an IPv4 address a gateway will connect to: IPv4-mapped (::ffff:0:0/96),
 * IPv4-translated (::ffff:0:0:0/96, SIIT), NAT64 (64:ff9b::/96, the last 32 bits) and 6to4
 * (2002::/16, bits 16–48). Such an address is as private as the IPv4 address inside it.
 */
function embeddedIPv4(address: string): string | undefined {
  const h = hextets(address);
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => h.slice(from, to).every((value) => value === 0);
  if (zeros(0, 5) && h[5] === 0xffff) return v4(h[6], h[7]);
  if (zeros(0, 4) && h[4] === 0xffff && h[5] === 0) return v4(h[6], h[7]);
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return v4(h[6], h[7]);
  if (h[0] === 0x2002) return v4(h[1], h[2]);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (the URL parser normalises dotted quads to hex first). */
function hextets(address: string): number[] {
  const normalised = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = normalised.includes('::') ? normalised.split('::') : [normalised, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((group) => parseInt(group, 16));
}

/**
 * True for loopback, private, link-local, site-local, carrier-grade NAT, benchmarking, IETF
 * protocol, unspecified and multicast addresses, for IPv6 forms embedding one of them, and for
 * local-use NAT64 (64:ff9b:1::/48) and Teredo (2001::/32) whole.
 * @throws Error when `address` is not an IP address
 * @example isPrivateAddress('64:ff9b::7f00:1') // true: NAT64 of 127.0.0.1
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  if (family === 4) return PRIVATE_V4.check(address, 'ipv4');
  const plain = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not an address
  const inner = embeddedIPv4(plain);
  if (PRIVATE_V6.check(plain, 'ipv6')) return true;
  return inner !== undefined && PRIVATE_V4.check(inner, 'ipv4');
}

/** A target the guard refused: a payload problem (a setting to fix), never worth a retry. */
export class RefusedTargetError extends PayloadValidationError {
  static readonly CODE = 'refused_target';
  constructor(message: string) {
    super(message, RefusedTargetError.CODE);
    this.name = 'RefusedTargetError';
  }
}

/**
 * Allow-list entries the operator lets through even when private, lower-cased: a host (any port),
 * or a host and one port (`127.0.0.1:4010`, `[::1]:4010`). See `hostAllowed`.
 */
export type AllowedHosts = () => readonly string[];

/**
 * Reads `AK_OUTBOUND_ALLOWED_HOSTS=127.0.0.1:4010,localhost` (and its older name
 * `AK_WEBHOOK_ALLOWED_HOSTS`) at call time: plugins and the SDK get no config module.
 */
export const allowedHostsFromEnv: AllowedHosts = () =>
  [process.env.AK_OUTBOUND_ALLOWED_HOSTS, process.env.AK_WEBHOOK_ALLOWED_HOSTS]
    .flatMap((value) => (value ?? '').split(','))
    .map(normaliseHost)
    .filter((host) => host !== '');

const normaliseHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');

/** The URL's host name without IPv6 brackets, as the allow-list spells it. */
export const hostOf = (url: URL): string => normaliseHost(url.hostname);

/** The port a URL connects to (its own, else the scheme's default). */
const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/** An entry as host and optional port: `h`, `h:p`, `[v6]`, `[v6]:p`, or a bare IPv6 address (no port). */
function parseEntry(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1], ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(entry);
  if (hostPort) return { host: hostPort[1], port: Number(hostPort[2]) };
  return { host: entry };
}

/**
 * Does an entry of the allow-list let `host` through, on `port`? An entry without a port allows
 * every port of its host; one with a port only that port (so allowing a local demo receiver does
 * not open the database's port on the same address). Without `port` (a DNS lookup, which knows
 * no port: the URL's port was checked before the connection), any entry naming the host allows it.
 */
export function hostAllowed(entries: readonly string[], host: string, port?: number): boolean {
  return entries.some((entry) => {
    const parsed = parseEntry(entry);
    return parsed.host === host && (parsed.port === undefined || port === undefined || parsed.port === port);
  });
}

/** Every address of a host name (the system resolver, as the HTTP client would use it). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const resolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * The decision for a URL without any lookup: refused when the scheme is not http(s), or the host is
 * a private IP literal or a `localhost` name and not allow-listed. Undefined when a connection-time
 * check must still decide (a host name). Used on save, where no DNS query is made.
 * @example literalTargetProblem(new URL('http://[::1]/'), () => []) // 'the host ::1 is a private address …'
 */
export function literalTargetProblem(url: URL, allowedHosts: AllowedHosts): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, not ${url.protocol}`;
  const host = hostOf(url);
  if (hostAllowed(allowedHosts(), host, portOf(url))) return undefined;
  if (isIP(host) !== 0 && isPrivateAddress(host))
    return `the host ${host} is a private, loopback or reserved address; allow it with AK_OUTBOUND_ALLOWED_HOSTS if intended`;
  if (host === 'localhost' || host.endsWith('.localhost'))
    return `the host ${host} is loopback; allow it with AK_OUTBOUND_ALLOWED_HOSTS if intended`;
  return undefined;
}

/**
 * Refuses a URL whose host is private, or resolves to any private address, unless allow-listed.
 * @throws RefusedTargetError naming the host and the address
 */
export async function assertAllowedTarget(url: URL, allowedHosts: AllowedHosts, resolve: ResolveAll = resolveAll): Promise<void> {
  const literal = literalTargetProblem(url, allowedHosts);
  if (literal !== undefined) throw new RefusedTargetError(`outbound URL refused: ${literal}`);
  const host = hostOf(url);
  if (hostAllowed(allowedHosts(), host, portOf(url)) || isIP(host) !== 0) return;
  const refused = (await resolve(host)).find((entry) => isPrivateAddress(entry.address));
  if (refused !== undefined) {
    throw new RefusedTargetError(
      `outbound host ${host} resolves to the private address ${refused.address}; allow it with AK_OUTBOUND_ALLOWED_HOSTS if intended`,
    );
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for HTTP agents: checks the addresses actually connected to, so a host name that
 * resolved to a public address for `assertAllowedTarget` cannot re-resolve to a private one (DNS
 * rebinding) between the check and the connection.
 */
export function guardedLookup(allowedHosts: AllowedHosts, resolve: ResolveAll = resolveAll) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const host = normaliseHost(hostname);
    resolve(host).then(
      (addresses) => {
        const refused = hostAllowed(allowedHosts(), host) ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
        if (refused)
          return callback(
            new RefusedTargetError(
              `outbound host ${host} resolved to the private address ${refused.address}`,
            ) as unknown as NodeJS.ErrnoException,
            '',
          );
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
