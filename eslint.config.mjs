import nx from '@nx/eslint-plugin';
import prettierConfig from 'eslint-config-prettier';

// Module boundaries are architecture (see ../shared/STYLE.md): every project carries a `type:*` tag,
// and these constraints say which types may depend on which, plus the imports each type may not use.
const pureBans = ['@nestjs/*', 'typeorm', 'pg', 'axios', 'express'];
const depConstraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:domain', 'type:sdk', 'type:util', 'type:plugin', 'type:registry'],
  },
  { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:domain', 'type:sdk', 'type:util'] },
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:domain', 'type:util'],
    bannedExternalImports: ['axios', '@nestjs/schedule'],
  },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: pureBans },
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg'] },
  // A plugin sees only the connector SDK, so it cannot read holdout or membership tables.
  { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:sdk', 'type:util'], bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg'] },
  // The connector registry (libs/connector-registry): the one place that lists the plugins; apps load it.
  {
    sourceTag: 'type:registry',
    onlyDependOnLibsWithTags: ['type:plugin', 'type:sdk', 'type:util'],
    bannedExternalImports: ['@nestjs/*', 'typeorm', 'pg'],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:data-access',
      'type:domain',
      'type:sdk',
      'type:util',
      'type:plugin',
      'type:registry',
      'type:testing',
    ],
  },
  {
    sourceTag: 'type:tool',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:data-access',
      'type:domain',
      'type:sdk',
      'type:util',
      'type:plugin',
      'type:registry',
      'type:testing',
    ],
  },
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['*'] },
];

// Test files and test helpers may also use the shared test kit (type:testing); production code may not.
const TEST_FILES = ['**/*.spec.ts', '**/__tests__/**/*.ts', '**/test/**/*.ts'];
const testDepConstraints = depConstraints.map((constraint) =>
  constraint.onlyDependOnLibsWithTags.includes('type:testing') || constraint.sourceTag === 'type:plugin'
    ? constraint
    : { ...constraint, onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:testing'] },
);
// Only the activation core's eligibility step mints EligibleMembers (after holdout, suppression and
// consent); a cast anywhere else would let a control-group member reach a plugin. The SDK's test kit
// is the other exception: it builds members for plugin tests.
const ELIGIBLE_MEMBER_MINTERS = ['libs/activation-engine/src/pipeline/eligibility.ts', 'libs/connector-sdk/src/testing/**'];
const castTo = (type) =>
  `:matches(TSAsExpression, TSTypeAssertion) > .typeAnnotation:matches(TSTypeReference[typeName.name='${type}'], :has(TSTypeReference[typeName.name='${type}']))`;
const eligibleMemberCasts = [
  'error',
  {
    selector: castTo('EligibleMember'),
    message:
      'Only libs/activation-engine/src/pipeline/eligibility.ts mints EligibleMember; do not cast to it (see libs/connector-sdk/src/contract/members.ts).',
  },
];
// The connector test kit (fake vendors, members minted without the core's checks) stays out of
// production code: tests, benchmarks and the runnable fake servers (`npm run fake:*`) only.
const TEST_KIT_USERS = [...TEST_FILES, '**/testing/**', '**/fake/**', '**/fakes/**', '**/fake-server.ts', 'bench/**', 'tools/fakes/**'];
const testKitImports = [
  'error',
  {
    paths: [
      { name: '@audiencekit/connector-sdk/testing', message: 'The connector test kit is for tests, benchmarks and fake servers only.' },
    ],
  },
];

// Plugins reach the network only through ctx.http, the SDK's guarded client (SSRF guard, #16): no
// HTTP client, socket or fetch of their own in production code. Vendor SDKs get ctx.http's agents.
const PLUGIN_SOURCES = ['plugins/**/*.ts', 'tools/workspace-lint/fixtures/plugin-probe/**/*.ts'];
const OUTBOUND_MESSAGE = "Plugins reach the network only through ctx.http (the SDK's guarded client; see libs/connector-sdk/README.md).";
const OUTBOUND_PACKAGES = ['axios', 'undici', 'node-fetch', 'got'];
// `module` too: createRequire() would hide a require() from the rule below.
const OUTBOUND_BUILTINS = ['http', 'https', 'http2', 'net', 'tls', 'dgram', 'module'];
// A plugin's fakes and test helpers (TEST_KIT_USERS, and its src/testing.ts entry) are exempt from
// these rules, so production plugin code may not import them: an exempt file is never part of the plugin.
const TEST_HELPER_MESSAGE =
  'Production plugin code may not import fakes and test helpers (fake/, fakes/, testing/, testing.ts): they are exempt from the outbound rules.';
const pluginImportsWith = (patterns) => [
  'error',
  {
    paths: [
      ...testKitImports[1].paths,
      ...[...OUTBOUND_PACKAGES, ...OUTBOUND_BUILTINS.flatMap((name) => [name, `node:${name}`])].map((name) => ({
        name,
        message: OUTBOUND_MESSAGE,
      })),
    ],
    patterns: [{ group: ['axios/*', 'undici/*'], message: OUTBOUND_MESSAGE }, ...patterns],
  },
];
const TEST_HELPER_PATHS = [
  './**/fake',
  './**/fake/**',
  './**/fakes/**',
  './**/testing',
  './**/testing/**',
  '../**/fake',
  '../**/fake/**',
  '../**/fakes/**',
  '../**/testing',
  '../**/testing/**',
];
const pluginImports = pluginImportsWith([{ group: TEST_HELPER_PATHS, message: TEST_HELPER_MESSAGE }]);
// The entry `src/testing.ts` re-exports the plugin's fakes (its `/testing` path); it is not exempt from the rest.
const PLUGIN_TESTING_ENTRIES = ['plugins/*/src/testing.ts', 'tools/workspace-lint/fixtures/plugin-probe/src/testing.ts'];
const pluginTestingEntryImports = pluginImportsWith([]);
// The same modules loaded by require() or import(), and any require() / import() whose module is not
// a plain string (it could be any of them). esquery regexes cannot hold a slash: [^\w-] ends a name.
const outboundModule = `/^(${OUTBOUND_PACKAGES.join('|')}|(node:)?(${OUTBOUND_BUILTINS.join('|')}))($|[^\\w-])/`;
const testHelperModule = '/^[.].*(^|[^\\w-])(fakes?|testing)($|[^\\w-])/';
const loaders = ["CallExpression[callee.type='Identifier'][callee.name='require']", 'ImportExpression'];
const loadedModule = (loader) => (loader === 'ImportExpression' ? 'source' : 'arguments.0');
const pluginLoads = [
  ...loaders.flatMap((loader) => [
    { selector: `${loader}[${loadedModule(loader)}.value=${outboundModule}]`, message: OUTBOUND_MESSAGE },
    { selector: `${loader}[${loadedModule(loader)}.quasis.0.value.cooked=${outboundModule}]`, message: OUTBOUND_MESSAGE },
    {
      selector: `${loader}:not([${loadedModule(loader)}.type='Literal']):not([${loadedModule(loader)}.type='TemplateLiteral'][${loadedModule(loader)}.expressions.length=0])`,
      message: `${OUTBOUND_MESSAGE} (require() / import() of a computed module name could load any of them)`,
    },
    { selector: `${loader}[${loadedModule(loader)}.value=${testHelperModule}]`, message: TEST_HELPER_MESSAGE },
  ]),
];
// One no-restricted-syntax list for plugin production sources: a later block replaces a rule's options.
const pluginSyntax = ['error', eligibleMemberCasts[1], ...pluginLoads];
const pluginGlobals = [
  'error',
  ...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource'].map((name) => ({ name, message: OUTBOUND_MESSAGE })),
];
const pluginProperties = [
  'error',
  ...['fetch', 'XMLHttpRequest', 'WebSocket'].map((property) => ({ object: 'globalThis', property, message: OUTBOUND_MESSAGE })),
];

const boundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allowCircularSelfDependency: false,
    checkDynamicDependenciesExceptions: [],
    depConstraints: constraints,
  },
];

export default [
  { ignores: ['**/node_modules', '**/dist', 'tmp/**', '.nx/**', '.data/**', 'coverage/**', '**/*.mjs', '**/*.js'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.ts'], ignores: ELIGIBLE_MEMBER_MINTERS, rules: { 'no-restricted-syntax': eligibleMemberCasts } },
  { files: ['**/*.ts'], ignores: TEST_KIT_USERS, rules: { 'no-restricted-imports': testKitImports } },
  {
    files: PLUGIN_SOURCES,
    ignores: TEST_KIT_USERS,
    rules: {
      'no-restricted-imports': pluginImports,
      'no-restricted-globals': pluginGlobals,
      'no-restricted-properties': pluginProperties,
      'no-restricted-syntax': pluginSyntax,
    },
  },
  { files: PLUGIN_TESTING_ENTRIES, rules: { 'no-restricted-imports': pluginTestingEntryImports } },
  {
    files: TEST_FILES,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(testDepConstraints),
      // Tests read JSON bodies of every shape; typing each one would add noise, not safety.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // The admin console's React files (apps/console, tsconfig with DOM and JSX): same boundaries and typed rules.
  {
    files: ['**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  // Layout is Prettier's (npm run format; checked by npm run lint): turn off the rules it owns.
  prettierConfig,
];
