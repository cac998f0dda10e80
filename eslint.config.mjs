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
const OUTBOUND_MODULES = ['axios', 'undici', 'node-fetch', 'got', 'http', 'https', 'http2', 'net', 'tls', 'dgram'];
const pluginImports = [
  'error',
  {
    paths: [
      ...testKitImports[1].paths,
      ...OUTBOUND_MODULES.flatMap((name) =>
        ['axios', 'undici', 'node-fetch', 'got'].includes(name) ? [name] : [name, `node:${name}`],
      ).map((name) => ({ name, message: OUTBOUND_MESSAGE })),
    ],
    patterns: [{ group: ['axios/*', 'undici/*'], message: OUTBOUND_MESSAGE }],
  },
];
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
    rules: { 'no-restricted-imports': pluginImports, 'no-restricted-globals': pluginGlobals, 'no-restricted-properties': pluginProperties },
  },
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
