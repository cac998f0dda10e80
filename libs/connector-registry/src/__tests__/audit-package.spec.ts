import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditConnectorPackage } from '../index';

describe('auditConnectorPackage', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'ak-audit-'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: '@acme/x', version: '1.0.0' }));
    mkdirSync(path.join(root, 'dist/fake'), { recursive: true });
    mkdirSync(path.join(root, 'node_modules/dep'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => writeFileSync(path.join(root, file), text);

  it('lists the modules and hosts of the runtime code, leaving fakes, testing and node_modules out', () => {
    write(
      'dist/index.js',
      `const z = require("zod"); const sdk = require("@audiencekit/connector-sdk"); const c = require("./acme.connector");`,
    );
    write('dist/acme.connector.js', `const HOST = 'https://api.acme.example'; const alt = "https://EU.acme.example/v2";`);
    write('dist/fake/acme-fake.js', `const http = require("node:http"); fetch('http://127.0.0.1');`);
    write('dist/testing.js', `require("node:http");`);
    write('node_modules/dep/index.js', `require("https");`);
    expect(auditConnectorPackage(root)).toEqual({
      name: '@acme/x',
      version: '1.0.0',
      files: ['dist/acme.connector.js', 'dist/index.js'],
      requires: ['@audiencekit/connector-sdk', 'zod'],
      forbidden: [],
      unexpected: [],
      hosts: ['api.acme.example', 'eu.acme.example'],
    });
  });

  it.each([
    ['an HTTP module', `const https = require("node:https");`, 'loads node:https'],
    ['axios', `const axios_1 = require("axios");`, 'loads axios'],
    ['global fetch', `await fetch(url);`, 'dist/index.js: fetch / XMLHttpRequest / WebSocket / process.binding'],
    ['a computed require', `const m = require(name);`, 'dist/index.js: computed require/import (name)'],
    ['an ES import of a socket module', `import net from 'net';`, 'loads net'],
  ])('flags %s', (_, code, finding) => {
    write('dist/index.js', code);
    expect(auditConnectorPackage(root).forbidden).toEqual([finding]);
  });

  it('names other modules for review', () => {
    write('dist/index.js', `require("@acme/vendor-sdk"); require("zod"); require("node:crypto");`);
    expect(auditConnectorPackage(root)).toMatchObject({ unexpected: ['@acme/vendor-sdk'], forbidden: [] });
  });
});
