import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Tree } from '@nx/devkit';
import { createTree } from '@nx/devkit/testing';
import connectorGenerator, { REGISTRY_FILE } from './connector.generator';

const ROOT = path.resolve(__dirname, '../../../..');
const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);

/** An in-memory workspace holding copies of the real files the generator edits. */
function workspaceTree(): Tree {
  const tree = createTree();
  for (const file of ['tsconfig.base.json', REGISTRY_FILE]) tree.write(file, readFileSync(path.join(ROOT, file), 'utf8'));
  return tree;
}

describe('connector generator (in memory)', () => {
  it('writes the package files with the plugin tag', async () => {
    const tree = workspaceTree();
    await connectorGenerator(tree, { name: 'acme-mail', channel: 'email' });
    for (const file of [
      'project.json',
      'jest.config.ts',
      'README.md',
      'src/index.ts',
      'src/acme-mail.connector.ts',
      'src/fake/acme-mail-fake.ts',
      'src/__tests__/acme-mail.connector.spec.ts',
    ]) {
      expect(tree.exists(`plugins/acme-mail/${file}`)).toBe(true);
    }
    const project = JSON.parse(tree.read('plugins/acme-mail/project.json', 'utf-8') ?? '{}');
    expect(project).toMatchObject({
      name: 'plugin-acme-mail',
      tags: ['type:plugin', 'scope:connector'],
      sourceRoot: 'plugins/acme-mail/src',
    });
    expect(tree.read('plugins/acme-mail/jest.config.ts', 'utf-8')).toContain("preset: '../../jest.preset.js'");
    const source = tree.read('plugins/acme-mail/src/acme-mail.connector.ts', 'utf-8');
    expect(source).toContain("slug: 'acme-mail'");
    expect(source).toContain("deliveryModel: 'list'");
    expect(source).toContain('export const acmeMail = {');
  });

  it('adds the tsconfig alias and the registry lines, leaving the files valid', async () => {
    const tree = workspaceTree();
    const before = tree.read(REGISTRY_FILE, 'utf-8') ?? '';
    await connectorGenerator(tree, { name: 'acme-mail' });
    const paths = JSON.parse(tree.read('tsconfig.base.json', 'utf-8') ?? '{}').compilerOptions.paths;
    expect(paths['@audiencekit/plugin-acme-mail']).toEqual(['plugins/acme-mail/src/index.ts']);
    const registry = tree.read(REGISTRY_FILE, 'utf-8') ?? '';
    expect(registry).toContain("import { acmeMail } from '@audiencekit/plugin-acme-mail';\n// connector imports:");
    expect(registry).toContain('  acmeMail,\n  // connector entries:');
    expect(registry.length - before.length).toBe(
      "import { acmeMail } from '@audiencekit/plugin-acme-mail';\n".length + '  acmeMail,\n'.length,
    );
  });

  it('chooses the send model for SMS', async () => {
    const tree = workspaceTree();
    await connectorGenerator(tree, { name: 'beep', channel: 'sms' });
    const source = tree.read('plugins/beep/src/beep.connector.ts', 'utf-8') ?? '';
    expect(source).toContain("deliveryModel: 'send'");
    expect(source).toContain("requiredIdentifiers: ['phone']");
    expect(source).toContain('send: async (ctx, { members, message })');
  });

  it.each([
    [{ name: 'Acme_Mail' }, /--name "Acme_Mail" must be kebab-case/],
    [{ name: 'acme', channel: 'fax' as never }, /--channel "fax" must be one of/],
    [{ name: 'webhook', directory: 'plugins-existing' }, /plugins-existing\/webhook already exists/],
  ])('refuses %p', async (schema, message) => {
    const tree = workspaceTree();
    tree.write('plugins-existing/webhook/project.json', '{}');
    await expect(connectorGenerator(tree, schema)).rejects.toThrow(message);
  });
});

describe('connector generator (through nx, on disk)', () => {
  // Outside plugins/ and unregistered, so the registry's "every plugin is registered" test and
  // other agents' runs never see it; removed afterwards.
  const parent = 'tools/generators/generated-probe';
  const name = `probe-${process.pid}`;
  const dir = `${parent}/${name}`;
  afterAll(() => {
    rmSync(path.join(ROOT, dir), { recursive: true, force: true });
    try {
      rmdirSync(path.join(ROOT, parent)); // only when empty: a concurrent run may still use it
    } catch {
      // not empty, or already gone
    }
  });

  it('generates a package whose spec passes and which lints clean', () => {
    const generated = spawnSync(
      bin('nx'),
      [
        'g',
        './tools/generators:connector',
        `--name=${name}`,
        '--channel=email',
        `--directory=${parent}`,
        '--skipRegistration',
        '--no-interactive',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } },
    );
    expect(generated.status).toBe(0);
    expect(existsSync(path.join(ROOT, dir, 'src', `${name}.connector.ts`))).toBe(true);

    const jest = spawnSync(bin('jest'), ['-c', `${dir}/jest.config.ts`, '--json', '--testPathIgnorePatterns', '/node_modules/'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CI: 'true' },
    });
    const report = JSON.parse(jest.stdout) as { numPassedTests: number; numFailedTests: number; success: boolean };
    expect(report).toMatchObject({ success: true, numFailedTests: 0 });
    expect(report.numPassedTests).toBeGreaterThanOrEqual(10);

    spawnSync(bin('nx'), ['show', 'projects'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 }); // the boundary rule reads the refreshed graph
    const lint = spawnSync(bin('eslint'), ['--max-warnings=0', dir], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  }, 300_000);
});
