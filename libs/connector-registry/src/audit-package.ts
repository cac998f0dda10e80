import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What an operator should look at before listing a connector package (docs/writing-a-connector.md §10). */
export interface ConnectorPackageAudit {
  name: string;
  version: string;
  /** Runtime files read (relative to the package root): every `.js` / `.cjs` outside fakes, tests and `testing.js`. */
  files: string[];
  /** Modules the runtime files load by name (relative paths left out), sorted. */
  requires: string[];
  /** Ways out of the process around `ctx.http` (an HTTP client or socket module, `fetch`, a computed `require`), each with its file. */
  forbidden: string[];
  /** Modules other than the SDK, zod and I/O-free Node built-ins (`node:crypto`, …): a vendor SDK to review, or something that should not be there. */
  unexpected: string[];
  /** Hosts of the URL literals in the runtime files: where it means to send data. */
  hosts: string[];
}

const PROVIDED = new Set(['@audiencekit/connector-sdk', 'zod']);
// Node built-ins without I/O of their own (hashing for ads, URL building, compression of a body).
const HARMLESS_BUILTINS = new Set(['crypto', 'buffer', 'util', 'url', 'querystring', 'zlib', 'events', 'string_decoder', 'assert', 'path']);
const NETWORK_MODULES = new Set([
  'http',
  'https',
  'http2',
  'net',
  'tls',
  'dgram',
  'dns',
  'child_process',
  'worker_threads',
  'axios',
  'undici',
  'node-fetch',
  'got',
  'request',
  'superagent',
  'ws',
]);
const TEST_ONLY = /(^|\/)(fake|fakes|__tests__|testing)(\/|\.js$)|\.(spec|test)\.c?js$/;

/**
 * Reads an installed (or unpacked) connector package's runtime JavaScript and lists what it loads,
 * the network access it would have around the SDK's guarded client, and the hosts it names. A
 * static check of CommonJS output (what tsc emits): it finds the usual ways, not every obfuscation —
 * trust still rests on the publisher.
 * @example auditConnectorPackage('node_modules/@acme/audiencekit-acme') // { forbidden: [], requires: ['@audiencekit/connector-sdk', 'zod'], hosts: ['api.acme.example'], … }
 */
export function auditConnectorPackage(root: string): ConnectorPackageAudit {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
  const files = (readdirSync(root, { recursive: true }) as string[])
    .map((file) => file.split(path.sep).join('/'))
    .filter((file) => /\.c?js$/.test(file) && !file.startsWith('node_modules/') && !TEST_ONLY.test(file))
    .sort();
  const requires = new Set<string>();
  const forbidden: string[] = [];
  const hosts = new Set<string>();
  for (const file of files) {
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const match of source.matchAll(/\b(?:require|import)\s*\(\s*(?:(["'`])([^"'`]+)\1\s*\)|([^)]*)\))/g)) {
      if (match[2] === undefined) {
        forbidden.push(`${file}: computed require/import (${match[3].trim().slice(0, 40)})`);
        continue;
      }
      if (!match[2].startsWith('.')) requires.add(match[2]);
    }
    for (const match of source.matchAll(/\bfrom\s+["']([^"']+)["']/g)) if (!match[1].startsWith('.')) requires.add(match[1]);
    if (/\bfetch\s*\(|\bXMLHttpRequest\b|\bWebSocket\b|process\.binding\s*\(/.test(source))
      forbidden.push(`${file}: fetch / XMLHttpRequest / WebSocket / process.binding`);
    for (const match of source.matchAll(/\b(?:https?|wss?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])/gi)) hosts.add(match[1].toLowerCase());
  }
  for (const name of requires) {
    if (NETWORK_MODULES.has(bareName(name))) forbidden.push(`loads ${name}`);
  }
  return {
    name: String(manifest.name),
    version: String(manifest.version),
    files,
    requires: [...requires].sort(),
    forbidden,
    unexpected: [...requires]
      .filter((name) => !PROVIDED.has(name) && !NETWORK_MODULES.has(bareName(name)) && !HARMLESS_BUILTINS.has(bareName(name)))
      .sort(),
    hosts: [...hosts].sort(),
  };
}

const bareName = (name: string) => name.replace(/^node:/, '').split('/')[0];
