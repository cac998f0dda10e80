import { tmpdir } from 'node:os';
import path from 'node:path';
import { standaloneConnectorFiles } from './standalone';

const ROOT = path.resolve(__dirname, '../../../..');
const out = path.join(tmpdir(), 'ak-standalone-never-written');
const sdk = path.join(tmpdir(), 'audiencekit-connector-sdk-0.1.0.tgz');

describe('standalone connector generator (#25)', () => {
  it('writes a package with the connector, its fake, its contract-suite spec and a README', () => {
    const files = standaloneConnectorFiles({ name: 'acme-mail', out, sdk, packageName: '@acme/audiencekit-acme-mail' });
    expect(Object.keys(files).sort()).toEqual(
      [
        '.gitignore',
        'README.md',
        'jest.config.js',
        'package.json',
        'src/__tests__/acme-mail.connector.spec.ts',
        'src/acme-mail.connector.ts',
        'src/fake/acme-mail-fake.ts',
        'src/index.ts',
        'src/testing.ts',
        'tsconfig.build.json',
        'tsconfig.json',
      ].sort(),
    );
    expect(files['src/index.ts']).toContain('export const connectors = [acmeMail];');
    expect(files['src/__tests__/acme-mail.connector.spec.ts']).toContain("describeConnectorContract('acme-mail'");
    expect(files['README.md']).toContain('AK_CONNECTOR_PACKAGES=@acme/audiencekit-acme-mail');
  });

  it('declares the SDK as a peer range of its own version and depends on the packed tarball for development', () => {
    const manifest = JSON.parse(standaloneConnectorFiles({ name: 'acme', out, sdk })['package.json']);
    const { version } = require(path.join(ROOT, 'libs/connector-sdk/package.json')) as { version: string };
    expect(manifest).toMatchObject({
      name: 'audiencekit-connector-acme',
      main: './dist/index.js',
      peerDependencies: { '@audiencekit/connector-sdk': `^${version}`, zod: '^4.1.0' },
      devDependencies: { '@audiencekit/connector-sdk': 'file:../audiencekit-connector-sdk-0.1.0.tgz' },
    });
    expect(manifest.dependencies).toBeUndefined();
    expect(
      JSON.parse(standaloneConnectorFiles({ name: 'acme', out, sdk: '^0.1.0' })['package.json']).devDependencies[
        '@audiencekit/connector-sdk'
      ],
    ).toBe('^0.1.0');
  });

  it.each([
    [{ name: 'acme', out: path.join(ROOT, 'plugins/acme'), sdk }, 'is inside this repository'],
    [{ name: 'acme', out: ROOT, sdk }, 'is inside this repository'],
    [{ name: 'acme', out: tmpdir(), sdk }, 'already exists'],
    [{ name: 'Acme', out, sdk }, 'must be kebab-case'],
    [{ name: 'acme', out, sdk, packageName: '@Acme/X' }, 'is not an npm package name'],
    [{ name: 'acme', out, sdk: '' }, '--sdk is required'],
    [{ name: 'acme', out: '', sdk }, '--out is required'],
  ])('refuses %j', (options, message) => {
    expect(() => standaloneConnectorFiles(options)).toThrow(message);
  });
});
