import { z } from 'zod';
import type { AnyConnectorDefinition } from './connector-definition';
import { IDENTIFIER_KINDS } from './members';

const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const CHANNELS = ['email', 'sms', 'ads', 'webhook'];

/**
 * Every way a definition breaks the contract, as messages naming the field (empty when it is
 * well-formed). The registry refuses to start with a broken one; the contract suite asserts none.
 * @example definitionProblems({ ...webhook, slug: 'Web Hook' }) // ['slug "Web Hook" is not kebab-case']
 */
export function definitionProblems(definition: AnyConnectorDefinition): string[] {
  return [...identityProblems(definition), ...limitProblems(definition), ...schemaProblems(definition), ...methodProblems(definition)];
}

function identityProblems(definition: AnyConnectorDefinition): string[] {
  const problems: string[] = [];
  if (typeof definition.slug !== 'string' || !SLUG.test(definition.slug))
    problems.push(`slug ${JSON.stringify(definition.slug)} is not kebab-case`);
  if (typeof definition.displayName !== 'string' || definition.displayName.trim() === '') problems.push('displayName is empty');
  if (!CHANNELS.includes(definition.channel))
    problems.push(`channel ${JSON.stringify(definition.channel)} is not one of ${CHANNELS.join(', ')}`);
  const identifiers = definition.requiredIdentifiers;
  if (!Array.isArray(identifiers) || identifiers.length === 0) problems.push('requiredIdentifiers is empty');
  else
    for (const kind of identifiers)
      if (!IDENTIFIER_KINDS.includes(kind)) problems.push(`requiredIdentifiers: unknown kind ${JSON.stringify(kind)}`);
  return problems;
}

function limitProblems(definition: AnyConnectorDefinition): string[] {
  const limits = definition.limits;
  if (!limits || typeof limits !== 'object') return ['limits is missing'];
  const problems: string[] = [];
  if (!Number.isInteger(limits.maxBatchSize) || limits.maxBatchSize < 1)
    problems.push(`limits.maxBatchSize must be an integer ≥ 1 (got ${limits.maxBatchSize})`);
  if (limits.maxRequestsPerSecond !== undefined && !(limits.maxRequestsPerSecond > 0))
    problems.push(`limits.maxRequestsPerSecond must be > 0 (got ${limits.maxRequestsPerSecond})`);
  if (limits.maxConcurrency !== undefined && (!Number.isInteger(limits.maxConcurrency) || limits.maxConcurrency < 1)) {
    problems.push(`limits.maxConcurrency must be an integer ≥ 1 (got ${limits.maxConcurrency})`);
  }
  const refresh = limits.refreshMembershipAfterDays;
  if (refresh !== undefined && !(Number.isInteger(refresh) && refresh >= 1))
    problems.push(`limits.refreshMembershipAfterDays must be an integer ≥ 1 (got ${refresh})`);
  return problems;
}

function schemaProblems(definition: AnyConnectorDefinition): string[] {
  return (['settings', 'secrets'] as const).flatMap((field) => {
    const schema = definition[field];
    if (!(schema instanceof z.ZodType)) return [`${field} is not a zod schema`];
    try {
      z.toJSONSchema(schema);
      return [];
    } catch (error) {
      return [`${field} cannot be served as JSON Schema: ${error instanceof Error ? error.message : String(error)}`];
    }
  });
}

// Implications only: a vendor with both a list API and a send API (SendGrid) may implement both.
function methodProblems(definition: AnyConnectorDefinition): string[] {
  const problems: string[] = [];
  if (typeof definition.testConnection !== 'function') problems.push('testConnection is not implemented');
  if (definition.deliveryModel === 'list') {
    if (typeof definition.upsert !== 'function') problems.push('deliveryModel "list" needs upsert');
  } else if (definition.deliveryModel === 'send') {
    if (typeof definition.send !== 'function') problems.push('deliveryModel "send" needs send');
  } else {
    problems.push(`deliveryModel ${JSON.stringify(definition.deliveryModel)} is not "list" or "send"`);
  }
  if (definition.limitsFor !== undefined && typeof definition.limitsFor !== 'function') problems.push('limitsFor is not a function');
  if (definition.quota !== undefined && typeof definition.quota !== 'function') problems.push('quota is not a function');
  if (definition.replace !== undefined && (typeof definition.replace !== 'function' || definition.deliveryModel !== 'list'))
    problems.push('replace must be a function of a "list" connector');
  return problems;
}
