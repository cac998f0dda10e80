import { joinPathFragments, names as nxNames, offsetFromRoot, Tree } from '@nx/devkit';
import { connectorFiles, ConnectorNames, ConnectorTemplateInput } from './templates';

export interface ConnectorGeneratorSchema {
  name: string;
  channel?: ConnectorTemplateInput['channel'];
  deliveryModel?: ConnectorTemplateInput['deliveryModel'];
  directory?: string;
  skipRegistration?: boolean;
}

const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const CHANNELS = ['email', 'sms', 'ads', 'webhook'] as const;
export const REGISTRY_FILE = 'libs/connector-registry/src/registered-connectors.ts';
const IMPORT_MARKER = '// connector imports:';
const ENTRY_MARKER = '  // connector entries:';

/**
 * `npx nx g ./tools/generators:connector --name=acme --channel=email`: a new connector package
 * under plugins/ with a fake vendor, a passing contract-suite spec, the lint tags, the tsconfig
 * alias and its line in the connector registry.
 * @throws Error for a name that is not kebab-case, an unknown channel, or an existing folder
 */
export default async function connectorGenerator(tree: Tree, schema: ConnectorGeneratorSchema): Promise<void> {
  const input = resolveInput(tree, schema);
  for (const [file, content] of Object.entries(connectorFiles(input))) tree.write(joinPathFragments(input.projectRoot, file), content);
  if (!schema.skipRegistration) {
    addAlias(tree, input);
    register(tree, input.names);
  }
}

function resolveInput(tree: Tree, schema: ConnectorGeneratorSchema): ConnectorTemplateInput {
  const slug = String(schema.name ?? '').trim();
  if (!SLUG.test(slug)) throw new Error(`--name "${slug}" must be kebab-case (e.g. acme or acme-mail)`);
  const channel = schema.channel ?? 'email';
  if (!CHANNELS.includes(channel)) throw new Error(`--channel "${channel}" must be one of ${CHANNELS.join(', ')}`);
  const deliveryModel = schema.deliveryModel ?? (channel === 'sms' ? 'send' : 'list');
  if (deliveryModel !== 'list' && deliveryModel !== 'send') throw new Error(`--deliveryModel "${deliveryModel}" must be list or send`);
  const projectRoot = joinPathFragments(schema.directory ?? 'plugins', slug);
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  return { names: connectorNames(slug), channel, deliveryModel, projectRoot, offset: offsetFromRoot(projectRoot) };
}

export function connectorNames(slug: string): ConnectorNames {
  const { propertyName, className, constantName } = nxNames(slug);
  const display = slug
    .split('-')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
  return { slug, camel: propertyName, pascal: className, constant: constantName, display };
}

/** One line after `"paths": {`, so concurrent edits of the file stay small and mergeable. */
function addAlias(tree: Tree, { names, projectRoot }: ConnectorTemplateInput): void {
  const file = 'tsconfig.base.json';
  const text = tree.read(file, 'utf-8') ?? '';
  const alias = `@audiencekit/plugin-${names.slug}`;
  if (text.includes(`"${alias}"`)) return;
  const anchor = /"paths": \{\n/.exec(text);
  if (!anchor) throw new Error(`${file} has no "paths" object to add ${alias} to`);
  const at = anchor.index + anchor[0].length;
  tree.write(file, `${text.slice(0, at)}      "${alias}": ["${projectRoot}/src/index.ts"],\n${text.slice(at)}`);
}

/** The import above the imports marker and the entry above the entries marker of the registry. */
function register(tree: Tree, names: ConnectorNames): void {
  const text = tree.read(REGISTRY_FILE, 'utf-8');
  if (text === null) throw new Error(`${REGISTRY_FILE} not found`);
  const importAt = text.indexOf(IMPORT_MARKER);
  const entryAt = text.indexOf(ENTRY_MARKER);
  if (importAt < 0 || entryAt < 0) throw new Error(`${REGISTRY_FILE} lost its "${IMPORT_MARKER}" or "${ENTRY_MARKER.trim()}" marker`);
  const importLine = `import { ${names.camel} } from '@audiencekit/plugin-${names.slug}';\n`;
  const entryLine = `  ${names.camel},\n`;
  tree.write(REGISTRY_FILE, text.slice(0, importAt) + importLine + text.slice(importAt, entryAt) + entryLine + text.slice(entryAt));
}
