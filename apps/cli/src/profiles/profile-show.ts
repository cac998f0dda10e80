import type { DataSource } from 'typeorm';
import {
  type LookupKind,
  ProfileExplainService,
  type ProfileDetail,
  ProfilesService,
  type SegmentExplanationNode,
} from '@audiencekit/profiles';
import { isUuid } from '@audiencekit/util';

/**
 * What kind of identifier was typed: a UUID is a profile id, `@` an email, a leading `+` a phone;
 * anything else is tried as a user id, then as an anonymous id.
 */
export function lookupKindsFor(identifier: string): LookupKind[] {
  const text = identifier.trim();
  if (isUuid(text)) return ['profileId'];
  if (text.includes('@')) return ['email'];
  if (text.startsWith('+')) return ['phone'];
  return ['userId', 'anonymousId'];
}

/**
 * `profiles show <identifier> [--explain <segment>]`: the profile as GET /profiles/:id shows it
 * (in the clear: the CLI runs with database access), and optionally why it is or is not in a
 * segment. Exit 0 found, 1 not found; a malformed identifier is a ProfilesException (usage error).
 */
export async function profilesShow(
  dataSource: DataSource,
  print: (line: string) => void,
  identifier: string,
  options: { explain?: string; phoneCountry?: string } = {},
): Promise<number> {
  const profiles = new ProfilesService(dataSource);
  const kinds = lookupKindsFor(identifier);
  let profileId: string | undefined;
  for (const kind of kinds) {
    try {
      profileId = (await profiles.lookup(kind, identifier.trim(), { phoneCountry: options.phoneCountry })).profileId;
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'unknown_profile') throw error;
    }
  }
  if (!profileId) {
    print(`no profile has ${kinds.join(' or ')} ${identifier}`);
    return 1;
  }
  printDetail(await profiles.detail(profileId), print);
  if (options.explain) {
    const explained = await new ProfileExplainService(dataSource, profiles).explain(profileId, options.explain);
    print(
      `explain ${explained.segment.key} v${explained.segment.version}: ${explained.matches ? 'matches' : 'does not match'} now, ${explained.member ? 'member' : 'not a member'}${explained.nextChangeAt ? `, changes at ${explained.nextChangeAt}` : ''}`,
    );
    if (explained.root) printNode(explained.root as SegmentExplanationNode, 1, print);
    if (explained.model) for (const [key, value] of Object.entries(explained.model)) print(`  ${key}: ${JSON.stringify(value)}`);
  }
  return 0;
}

function printDetail(detail: ProfileDetail, print: (line: string) => void): void {
  print(`profile ${detail.id} (first seen ${detail.firstSeenAt ?? '—'}, last seen ${detail.lastSeenAt ?? '—'})`);
  print('identities:');
  for (const identity of detail.identities) print(`  ${identity.type} ${identity.value}`);
  print('traits:');
  for (const trait of detail.traits)
    print(
      `  ${trait.key} = ${JSON.stringify(trait.value)} (set ${trait.setAt ?? '—'}${trait.source ? ` by identify ${trait.source.messageId}` : ''})`,
    );
  print('segments:');
  for (const membership of detail.memberships)
    print(
      `  ${membership.key} since ${membership.since} by ${membership.cause === 'realtime' ? 'real time' : `refresh ${membership.runId}`}${membership.version === null ? '' : `, v${membership.version}`}`,
    );
  print('activations:');
  for (const activation of detail.activations)
    print(
      `  ${activation.name} (${activation.segmentKey}): ${activation.arm}${activation.exposed ? `, recorded ${activation.exposed.arm}` : ''}`,
    );
  if (detail.globalHoldout)
    print(`global holdout ${detail.globalHoldout.share}: ${detail.globalHoldout.member ? 'held out' : 'not held out'}`);
  for (const suppression of detail.suppressions)
    print(`suppressed ${suppression.identifierType} ${suppression.identifierValue} (${suppression.channel}): ${suppression.reason}`);
  print(`consent: ${detail.consent.unsubscribed ? 'unsubscribed; ' : ''}${JSON.stringify(detail.consent.categories)}`);
  for (const merge of detail.merges) print(`merged in: ${merge.profileId} at ${merge.mergedAt}`);
}

function printNode(node: SegmentExplanationNode, depth: number, print: (line: string) => void): void {
  const values = node.values ? ` ${JSON.stringify(node.values)}` : '';
  print(
    `${'  '.repeat(depth)}${node.matches ? '✓' : '✗'} ${node.path} ${node.type}${values}${node.changesAt ? ` flips at ${node.changesAt}` : ''}`,
  );
  for (const child of node.children ?? []) printNode(child, depth + 1, print);
}
