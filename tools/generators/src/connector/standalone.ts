import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectorSource, ConnectorTemplateInput, fakeSource, specSource } from './templates';
import { connectorNames } from './connector.generator';

export interface StandaloneOptions {
  /** Connector slug, kebab-case. */
  name: string;
  channel?: ConnectorTemplateInput['channel'];
  deliveryModel?: ConnectorTemplateInput['deliveryModel'];
  /** The package folder to create, outside this repository. */
  out: string;
  /** npm name of the package (default `audiencekit-connector-<slug>`). */
  packageName?: string;
  /** How to depend on the SDK: a packed tarball's path (made `file:` relative to `out`) or a semver range. */
  sdk: string;
}

const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const CHANNELS = ['email', 'sms', 'ads', 'webhook'] as const;
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const REPO_ROOT = path.resolve(__dirname, '../../../..');

/**
 * Scaffolds a connector as its own npm package, outside the monorepo: the same connector, fake vendor
 * and contract-suite spec as the in-tree generator, plus package.json (the SDK as a peer range and a
 * dev dependency on the packed SDK), tsconfig, jest config and a README with the author's and the
 * operator's commands. Returns the files written (relative to `out`).
 * @throws Error for a bad slug, channel, delivery model or package name, an `out` inside this
 * repository or already existing
 * @example generateStandaloneConnector({ name: 'acme', out: '/tmp/acme', sdk: '/tmp/audiencekit-connector-sdk-0.1.0.tgz' })
 */
export function generateStandaloneConnector(options: StandaloneOptions): string[] {
  const files = standaloneConnectorFiles(options);
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(path.resolve(options.out), file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return Object.keys(files);
}

/** The files of a standalone connector package, as text (no disk writes). */
export function standaloneConnectorFiles(options: StandaloneOptions): Record<string, string> {
  const slug = String(options.name ?? '').trim();
  if (!SLUG.test(slug)) throw new Error(`--name "${slug}" must be kebab-case (e.g. acme or acme-mail)`);
  const channel = options.channel ?? 'email';
  if (!CHANNELS.includes(channel)) throw new Error(`--channel "${channel}" must be one of ${CHANNELS.join(', ')}`);
  const deliveryModel = options.deliveryModel ?? (channel === 'sms' ? 'send' : 'list');
  if (deliveryModel !== 'list' && deliveryModel !== 'send') throw new Error(`--deliveryModel "${deliveryModel}" must be list or send`);
  const packageName = options.packageName ?? `audiencekit-connector-${slug}`;
  if (!PACKAGE_NAME.test(packageName)) throw new Error(`--package "${packageName}" is not an npm package name`);
  const out = path.resolve(String(options.out ?? ''));
  if (!options.out) throw new Error('--out is required: the folder of the new package');
  if (out === REPO_ROOT || out.startsWith(REPO_ROOT + path.sep))
    throw new Error(
      `--out ${out} is inside this repository: use \`npx nx g ./tools/generators:connector\` for plugins/, or choose a folder outside`,
    );
  if (existsSync(out)) throw new Error(`--out ${out} already exists`);
  if (!options.sdk)
    throw new Error('--sdk is required: the packed SDK tarball (node libs/connector-sdk/scripts/pack.mjs) or a semver range');

  const sdkManifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'libs/connector-sdk/package.json'), 'utf8')) as { version: string };
  const sdkDev = /\.tgz$/.test(options.sdk)
    ? `file:${path.relative(out, path.resolve(options.sdk)).split(path.sep).join('/')}`
    : options.sdk;
  const input: ConnectorTemplateInput = { names: connectorNames(slug), channel, deliveryModel, offset: '', projectRoot: '.' };
  const { names } = input;
  return {
    'package.json': packageJson(packageName, slug, sdkManifest.version, sdkDev),
    'tsconfig.json': `${JSON.stringify(tsconfig(false), null, 2)}\n`,
    'tsconfig.build.json': `${JSON.stringify(tsconfig(true), null, 2)}\n`,
    'jest.config.js': JEST_CONFIG,
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
    'README.md': readme(input, packageName, sdkManifest.version),
    'src/index.ts': `import { ${names.camel} } from './${names.slug}.connector';

export { ${names.camel}, ${names.camel}Secrets, ${names.camel}Settings, ${names.constant}_HOST } from './${names.slug}.connector';
export type { ${names.pascal}Secrets, ${names.pascal}Settings } from './${names.slug}.connector';

/** What audiencekit loads from this package (AK_CONNECTOR_PACKAGES): every connector it ships. */
export const connectors = [${names.camel}];
`,
    'src/testing.ts': `// The fake vendor, for the operator's staging and for end-to-end tests; never imported by the connector.\nexport * from './fake/${names.slug}-fake';\n`,
    [`src/${names.slug}.connector.ts`]: connectorSource(input),
    [`src/fake/${names.slug}-fake.ts`]: fakeSource(input),
    [`src/__tests__/${names.slug}.connector.spec.ts`]: specSource(input),
  };
}

function packageJson(name: string, slug: string, sdkVersion: string, sdkDev: string): string {
  const root = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const pin = (dep: string) => root['dependencies'][dep] ?? root['devDependencies'][dep];
  const manifest = {
    name,
    version: '0.1.0',
    description: `audiencekit connector "${slug}"`,
    license: 'UNLICENSED',
    keywords: ['audiencekit', 'audiencekit-connector'],
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './testing': { types: './dist/testing.d.ts', default: './dist/testing.js' },
      './package.json': './package.json',
    },
    typesVersions: { '*': { testing: ['./dist/testing.d.ts'] } },
    files: ['dist', 'README.md'],
    scripts: { build: 'tsc -p tsconfig.build.json', typecheck: 'tsc -p tsconfig.json --noEmit', test: 'jest', prepack: 'npm run build' },
    // The host provides these at run time (one SDK, one zod per server); the range is checked at start-up.
    peerDependencies: { '@audiencekit/connector-sdk': `^${sdkVersion}`, zod: '^4.1.0' },
    devDependencies: Object.fromEntries(
      [
        ['@audiencekit/connector-sdk', sdkDev],
        ...['zod', 'axios', 'ajv', 'ajv-formats', 'jest', '@swc/core', '@swc/jest', 'typescript', '@types/jest', '@types/node'].map(
          (dep) => [dep, pin(dep)],
        ),
      ].sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function tsconfig(build: boolean) {
  return {
    compilerOptions: {
      target: 'es2022',
      module: 'commonjs',
      moduleResolution: 'node',
      lib: ['es2023'],
      types: build ? ['node'] : ['node', 'jest'],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      ...(build ? { rootDir: 'src', outDir: 'dist', declaration: true } : { noEmit: true }),
    },
    include: ['src'],
    ...(build ? { exclude: ['src/**/__tests__'] } : {}),
  };
}

const JEST_CONFIG = `/** Jest with SWC: TypeScript specs, CommonJS, no type-check (run \`npm run typecheck\` for that). */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
};
`;

function readme({ names, channel, deliveryModel }: ConnectorTemplateInput, packageName: string, sdkVersion: string): string {
  return `# ${packageName}

${names.display} connector for audiencekit (slug \`${names.slug}\`, channel \`${channel}\`, delivery model
\`${deliveryModel}\`), built against \`@audiencekit/connector-sdk\` ^${sdkVersion}. Scaffolded by audiencekit's
standalone connector generator; replace the placeholder vendor API (\`src/${names.slug}.connector.ts\`) and its fake
(\`src/fake/${names.slug}-fake.ts\`) with the vendor's documented endpoints, and cite the documentation here.

## Rules a connector follows
- It imports \`@audiencekit/connector-sdk\` and \`zod\` only (both provided by the server at run time).
- Its only way to the network is \`ctx.http\` (the SDK's guarded client: no redirects, no proxies, private
  addresses refused). No \`axios\`, \`fetch\`, \`node:http(s)\` or \`node:net\` of its own: an operator audits this.
- It throws only the SDK's errors (\`connectorErrorFromHttp\` maps statuses); the server decides retries.
- It only ever sees members the server made eligible (holdout, suppressions and consent are applied before).

## Develop
\`\`\`sh
npm install          # the SDK comes from the tarball or range in devDependencies
npm test             # the SDK contract suite + this connector's own specs, against the fake vendor
npm run typecheck
npm pack             # builds dist/ (prepack) and writes ${packageName.replace('@', '').replace('/', '-')}-0.1.0.tgz
\`\`\`

## Install it in audiencekit (operator)
\`\`\`sh
cd /srv/audiencekit                                   # the product's folder
npm install --save-exact ${packageName}@0.1.0        # or the .tgz path; pin the exact version
AK_CONNECTOR_PACKAGES=${packageName} npm start        # API and worker load it at start-up
\`\`\`
For a staging run against the fake: start it (\`require('${packageName}/testing').start${names.pascal}Fake(4100)\`) and
set \`AK_CONNECTOR_BASE_URLS=${names.slug}=http://127.0.0.1:4100\`.
`;
}
