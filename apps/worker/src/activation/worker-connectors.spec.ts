import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConnectorPackageError } from '@audiencekit/connector-registry';
import { loadWorkerConnectors } from './worker-connectors';

const ROOT = path.resolve(__dirname, '../../../..');

describe('the worker at start-up with AK_CONNECTOR_PACKAGES (#25)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'ak-worker-packages-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the packages from its environment and refuses one that is not installed', () => {
    expect(() =>
      loadWorkerConnectors({ AK_CONNECTORS: 'webhook', AK_CONNECTOR_PACKAGES: '@acme/missing', AK_CONNECTOR_PACKAGES_DIR: dir }),
    ).toThrow(ConnectorPackageError);
  });

  it('the real worker process stops before starting, naming the package and the reason', () => {
    const worker = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/worker/src/main.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        AK_CONNECTOR_PACKAGES: '@acme/missing',
        AK_CONNECTOR_PACKAGES_DIR: dir,
      },
    });
    expect(worker.status).not.toBe(0);
    expect(worker.stderr).toContain('connector package "@acme/missing" (AK_CONNECTOR_PACKAGES): is not installed');
    expect(`${worker.stdout}${worker.stderr}`).not.toContain('audiencekit-worker up');
  }, 60_000);
});
