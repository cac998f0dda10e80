import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SDK_PACKAGE_NAME, SDK_VERSION } from './index';

describe('SDK_VERSION', () => {
  it('is the version and name of libs/connector-sdk/package.json, a semver version', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '../package.json'), 'utf8'));
    expect([SDK_PACKAGE_NAME, SDK_VERSION]).toEqual([manifest.name, manifest.version]);
    expect(SDK_VERSION).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });
});
