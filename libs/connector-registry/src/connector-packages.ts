import { existsSync, readFileSync, realpathSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { satisfies, valid, validRange } from 'semver';
import * as zod from 'zod';
import * as sdk from '@audiencekit/connector-sdk';
import { AnyConnectorDefinition, definitionProblems, SDK_PACKAGE_NAME, SDK_VERSION } from '@audiencekit/connector-sdk';

/** A connector package that passed every check, with the definitions it exports. */
export interface LoadedConnectorPackage {
  name: string;
  version: string;
  /** The package folder (realpath), e.g. `/srv/audiencekit/node_modules/@acme/audiencekit-acme`. */
  root: string;
  /** The range of `@audiencekit/connector-sdk` it declares (peer or regular dependency). */
  sdkRange: string;
  connectors: AnyConnectorDefinition[];
}

/** Why a listed package cannot be loaded; the message names the package and the reason. */
export class ConnectorPackageError extends Error {
  constructor(
    readonly packageName: string,
    readonly reason: string,
  ) {
    super(`connector package "${packageName}" (AK_CONNECTOR_PACKAGES): ${reason}`);
    this.name = 'ConnectorPackageError';
  }
}

// npm's rule for names (lower case, optional scope); a version or a path is not a name.
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * The package names of `AK_CONNECTOR_PACKAGES` (comma-separated), trimmed, de-duplicated, in order.
 * @throws ConnectorPackageError for an entry that is not an npm package name (`@acme/x@1.2.0`: pin
 * versions with npm, not here)
 * @example parsePackageList(' @acme/audiencekit-acme, audiencekit-foo ') // ['@acme/audiencekit-acme', 'audiencekit-foo']
 */
export function parsePackageList(value: string | undefined): string[] {
  const names = [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  for (const name of names) {
    if (!PACKAGE_NAME.test(name))
      throw new ConnectorPackageError(
        name,
        'is not an npm package name (list names only, e.g. @acme/audiencekit-acme; pin the version in the package.json / lock file npm installs from)',
      );
  }
  return names;
}

/**
 * Loads connector packages installed next to the product (`<fromDir>/node_modules`, or any
 * node_modules above it), checking each as the registry checks built-in plugins: a semver version,
 * a declared `@audiencekit/connector-sdk` range that this SDK satisfies, a non-empty `connectors`
 * export of well-formed definitions, slugs unique among `taken` and every listed package. All or
 * nothing: the first failure throws and nothing is returned, so a plugin never half-loads.
 *
 * A package's `require('@audiencekit/connector-sdk')` and `require('zod')` are answered with this
 * process's own modules (one `ConnectorError` class, one zod for schema checks), whatever copies npm
 * put beside it; its declared range is what makes that safe. Packages must be CommonJS.
 * @throws ConnectorPackageError naming the package and the reason
 * @example loadConnectorPackages(['@acme/audiencekit-acme'], '/srv/audiencekit', new Set(['webhook']))
 */
export function loadConnectorPackages(
  names: readonly string[],
  fromDir: string,
  taken: ReadonlyMap<string, string> = new Map(),
): LoadedConnectorPackage[] {
  const owners = new Map(taken);
  const loaded: LoadedConnectorPackage[] = [];
  for (const name of names) {
    const found = checkedManifest(name, fromDir);
    const connectors = requireConnectors(name, found.root);
    for (const [index, definition] of connectors.entries()) {
      const label = typeof definition?.slug === 'string' ? `connector "${definition.slug}"` : `connectors[${index}]`;
      if (!definition || typeof definition !== 'object')
        throw new ConnectorPackageError(name, `${label} is ${String(definition)}, not a definition`);
      const problems = definitionProblems(definition);
      if (problems.length > 0) throw new ConnectorPackageError(name, `${label} breaks the contract: ${problems.join('; ')}`);
      const owner = owners.get(definition.slug);
      if (owner !== undefined) throw new ConnectorPackageError(name, `slug "${definition.slug}" is already taken by ${owner}`);
      owners.set(definition.slug, `package ${name}`);
    }
    loaded.push({ ...found, name, connectors });
  }
  return loaded;
}

interface Manifest {
  root: string;
  version: string;
  sdkRange: string;
}

function checkedManifest(name: string, fromDir: string): Manifest {
  const searched = createRequire(path.join(path.resolve(fromDir), 'package.json')).resolve.paths(name) ?? [];
  const folder = searched.map((dir) => path.join(dir, name)).find((dir) => existsSync(path.join(dir, 'package.json')));
  if (!folder)
    throw new ConnectorPackageError(
      name,
      `is not installed (looked in ${searched.slice(0, 2).join(', ')}, …): npm install it next to the product`,
    );
  const root = realpathSync(folder);
  let manifest: { name?: unknown; version?: unknown; peerDependencies?: Record<string, unknown>; dependencies?: Record<string, unknown> };
  try {
    manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  } catch (error) {
    throw new ConnectorPackageError(name, `its package.json cannot be read: ${messageOf(error)}`);
  }
  if (manifest.name !== name) throw new ConnectorPackageError(name, `its package.json names ${JSON.stringify(manifest.name)}`);
  if (typeof manifest.version !== 'string' || valid(manifest.version) === null)
    throw new ConnectorPackageError(name, `its version ${JSON.stringify(manifest.version)} is not semver`);
  const declared = manifest.peerDependencies?.[SDK_PACKAGE_NAME] ?? manifest.dependencies?.[SDK_PACKAGE_NAME];
  if (typeof declared !== 'string')
    throw new ConnectorPackageError(
      name,
      `declares no ${SDK_PACKAGE_NAME} range (peerDependencies["${SDK_PACKAGE_NAME}"], e.g. "^${SDK_VERSION}")`,
    );
  if (validRange(declared) === null)
    throw new ConnectorPackageError(name, `its ${SDK_PACKAGE_NAME} range ${JSON.stringify(declared)} is not a semver range`);
  if (!satisfies(SDK_VERSION, declared))
    throw new ConnectorPackageError(
      name,
      `was built for ${SDK_PACKAGE_NAME} ${declared}, and this server's SDK is ${SDK_VERSION}: install a version of the package built for it`,
    );
  return { root, version: manifest.version, sdkRange: declared };
}

function requireConnectors(name: string, root: string): AnyConnectorDefinition[] {
  provideHostModules(root);
  let exported: { connectors?: unknown };
  try {
    exported = createRequire(path.join(root, 'package.json'))(root) as { connectors?: unknown };
  } catch (error) {
    throw new ConnectorPackageError(name, `failed to load: ${messageOf(error)}`);
  }
  if (!Array.isArray(exported?.connectors) || exported.connectors.length === 0)
    throw new ConnectorPackageError(name, 'exports no "connectors" array of definitions (export const connectors = [myConnector])');
  return exported.connectors as AnyConnectorDefinition[];
}

/** The modules a package gets from the host process instead of its own node_modules. */
const HOST_MODULES = new Map<string, unknown>([
  [SDK_PACKAGE_NAME, sdk],
  ['zod', zod],
]);
const packageRoots = new Set<string>();
let hooked = false;

// Node's CommonJS resolver, taught one thing: a request for a host module from a file inside a
// loaded package resolves to a cache entry holding the host's own module. (Under jest, which has its
// own module registry, this hook is inert and moduleNameMapper maps the SDK the same way.)
function provideHostModules(root: string): void {
  packageRoots.add(root + path.sep);
  if (hooked) return;
  hooked = true;
  const internals = Module as unknown as {
    _resolveFilename: (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, ...rest) {
    const from = parent?.filename;
    if (HOST_MODULES.has(request) && from && [...packageRoots].some((prefix) => from.startsWith(prefix))) {
      const id = `audiencekit-host:${request}`;
      if (!internals._cache[id]) {
        const hostModule = new Module(id);
        hostModule.filename = id;
        hostModule.loaded = true;
        hostModule.exports = HOST_MODULES.get(request);
        internals._cache[id] = hostModule;
      }
      return id;
    }
    return original.call(this, request, parent, ...rest);
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
