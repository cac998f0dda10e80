import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { webhook } from '@audiencekit/plugin-webhook';
import { ConnectorRegistryError, loadConnectors, REGISTERED_CONNECTORS } from '../index';

const ROOT = path.resolve(__dirname, '../../../..');
const named = (slug: string, patch: Partial<AnyConnectorDefinition> = {}): AnyConnectorDefinition =>
  ({ ...webhook, slug, ...patch }) as AnyConnectorDefinition;

describe('loadConnectors', () => {
  it('enables every registered connector by default, each a valid definition', () => {
    const loaded = loadConnectors({});
    expect(loaded.map((c) => c.slug)).toEqual(REGISTERED_CONNECTORS.map((c) => c.slug));
    expect(loaded.map((c) => c.slug)).toContain('webhook');
  });

  it('reads AK_CONNECTORS from the environment when given no config', () => {
    const saved = process.env.AK_CONNECTORS;
    try {
      process.env.AK_CONNECTORS = 'nope';
      expect(() => loadConnectors()).toThrow(/AK_CONNECTORS names unknown connector\(s\) "nope"/);
    } finally {
      if (saved === undefined) delete process.env.AK_CONNECTORS;
      else process.env.AK_CONNECTORS = saved;
    }
  });

  it('restricts to the slugs AK_CONNECTORS names, in its order, ignoring case, spaces and repeats', () => {
    const registered = [named('alpha'), named('beta'), named('gamma')];
    expect(loadConnectors({ AK_CONNECTORS: ' Gamma, alpha,gamma ' }, registered).map((c) => c.slug)).toEqual(['gamma', 'alpha']);
    expect(loadConnectors({ AK_CONNECTORS: ' , ' }, registered)).toHaveLength(3);
  });

  it('refuses an unknown slug, naming the variable and the registered ones', () => {
    expect(() => loadConnectors({ AK_CONNECTORS: 'alpha,sendgird' }, [named('alpha'), named('beta')])).toThrow(
      new ConnectorRegistryError('AK_CONNECTORS names unknown connector(s) "sendgird"; registered: alpha, beta'),
    );
  });

  it('refuses a slug registered twice', () => {
    expect(() => loadConnectors({}, [named('alpha'), named('alpha')])).toThrow(/connector slug "alpha" is registered twice/);
  });

  it('refuses a definition with bad limits, naming the connector and the field', () => {
    expect(() => loadConnectors({}, [named('alpha', { limits: { maxBatchSize: 0 } })])).toThrow(
      /connector "alpha" breaks the contract: limits.maxBatchSize must be an integer ≥ 1/,
    );
  });

  it('refuses a definition whose model lacks its method, even when not enabled', () => {
    const broken = named('beta', { deliveryModel: 'send' });
    expect(() => loadConnectors({ AK_CONNECTORS: 'alpha' }, [named('alpha'), broken])).toThrow(
      /"beta" breaks the contract: deliveryModel "send" needs send/,
    );
  });

  it('refuses an entry that is not a definition (an import that named nothing)', () => {
    expect(() => loadConnectors({}, [named('alpha'), undefined as unknown as AnyConnectorDefinition])).toThrow(
      /connector #2 of the registry is undefined/,
    );
  });
});

describe('the registry file', () => {
  const source = readFileSync(path.join(ROOT, 'libs/connector-registry/src/registered-connectors.ts'), 'utf8');
  const aliases = (
    JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }
  ).compilerOptions.paths;
  const pluginFolders = readdirSync(path.join(ROOT, 'plugins'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(ROOT, 'plugins', entry.name, 'project.json')))
    .map((entry) => entry.name);

  it('finds the plugin packages (guards the scan itself)', () => {
    expect(pluginFolders).toContain('webhook');
  });

  it.each(pluginFolders)('registers plugins/%s (import of its package and a tsconfig alias)', (folder) => {
    expect(aliases[`@audiencekit/plugin-${folder}`]).toEqual([`plugins/${folder}/src/index.ts`]);
    expect(source).toMatch(new RegExp(`from '@audiencekit/plugin-${folder}';`));
  });
});
