import type { ConnectorChannel, EligibleMember, IdentifierKind, MemberData } from '@audiencekit/connector-sdk';
import type { ResolvedArm } from '@audiencekit/experimentation';
import type { CandidateRow } from './candidates.repository';

/**
 * The ONLY place that mints `EligibleMember`s (a lint rule forbids the cast anywhere else). A
 * candidate of the diff becomes eligible after, in this order — each stage counted on its own:
 *   1. the global holdout,
 *   2. the activation's control group,
 *   3. suppressions and consent (suppression list for the channel or `all`, deleted or merged
 *      profile, trait `unsubscribed: true`, trait `consent.<channel> === false`, and for each
 *      consent category the destination requires, trait `consent.<category> === true`: opt-in),
 *   4. exclusions (issue #23): a member of a higher entry of the activation's priority list
 *      (`outranked`), or of a segment it excludes (`excluded`) (`CandidateRow.excludedBy`, read by the diff),
 *   5. identifiers: at least one of the kinds the connector requires, well-formed.
 * Removes pass stages 1, 2 and 5 only: taking someone off a list contacts nobody.
 */

/** `capped` is never given by `classifyAdd`: the frequency caps judge eligible sends (`frequency/`). */
export type Verdict = 'heldOutGlobal' | 'heldOutActivation' | 'suppressed' | 'excluded' | 'outranked' | 'invalid' | 'capped' | 'eligible';

export interface Classified {
  profileId: string;
  verdict: Verdict;
  reason?: string;
  /** Set when `verdict` is `eligible`. */
  member?: EligibleMember;
}

export interface EligibilityRules {
  /** Arm of a profile: the global holdout first, then the activation's split. */
  armOf: (profileId: string) => ResolvedArm;
  channel: ConnectorChannel;
  requiredIdentifiers: readonly IdentifierKind[];
  /** Consent categories the destination requires (libs/privacy): each needs `consent.<key> === true`. */
  consentCategories: readonly string[];
  /** Stable per member and delivery, the same when a crashed run is resumed. */
  deliveryKeyOf: (profileId: string) => string;
  /** Why a member of an excluding segment is excluded, by segment id (e.g. `excluded by segment dormant_low_value`). */
  exclusionReasons?: Readonly<Record<string, string>>;
  /** Of those, the higher entries of the activation's priority list: a member of one is `outranked`, not `excluded`. */
  outrankingSegments?: ReadonlySet<string>;
}

/** Identity types as stored (`user_id`) to the identifier kinds connectors ask for (`external_id`). */
const KIND_OF_TYPE: Record<string, IdentifierKind> = { email: 'email', phone: 'phone', user_id: 'external_id', external_id: 'external_id' };

const VALID: Record<IdentifierKind, (value: string) => boolean> = {
  email: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 254,
  phone: (value) => /^\+[1-9]\d{6,14}$/.test(value),
  external_id: (value) => value.trim().length > 0 && value.length <= 512,
};

/** Classifies a candidate to add or to send to. */
export function classifyAdd(row: CandidateRow, rules: EligibilityRules): Classified {
  const held = holdoutVerdict(row.profileId, rules);
  if (held) return held;
  const suppressedBecause = suppressionReason(row, rules.channel) ?? missingConsent(row, rules.consentCategories);
  if (suppressedBecause) return { profileId: row.profileId, verdict: 'suppressed', reason: suppressedBecause };
  if (row.excludedBy)
    return {
      profileId: row.profileId,
      verdict: rules.outrankingSegments?.has(row.excludedBy) ? 'outranked' : 'excluded',
      reason: rules.exclusionReasons?.[row.excludedBy] ?? `excluded by segment ${row.excludedBy}`,
    };
  return withIdentifiers(row, rules);
}

/** Classifies a member to remove from the vendor-side list (identifiers are the ones we delivered). */
export function classifyRemove(row: CandidateRow, rules: EligibilityRules): Classified {
  return holdoutVerdict(row.profileId, rules) ?? withIdentifiers({ ...row, traits: {} }, rules);
}

/** The identifiers of a minted member, keyed by kind, as stored in activation_members. */
export function deliveredIdentifiers(member: MemberData): Record<string, string> {
  return { ...member.identifiers } as Record<string, string>;
}

function holdoutVerdict(profileId: string, rules: EligibilityRules): Classified | undefined {
  const arm = rules.armOf(profileId);
  if (arm === 'global_holdout') return { profileId, verdict: 'heldOutGlobal', reason: 'global holdout' };
  if (arm === 'control') return { profileId, verdict: 'heldOutActivation', reason: 'control group' };
  return undefined;
}

function suppressionReason(row: CandidateRow, channel: ConnectorChannel): string | undefined {
  if (row.gone) return 'profile deleted or merged';
  if (row.suppressed) return 'on the suppression list';
  if (row.traits['unsubscribed'] === true) return 'unsubscribed';
  const consent = row.traits['consent'];
  if (consent && typeof consent === 'object' && (consent as Record<string, unknown>)[channel] === false) return `no consent for ${channel}`;
  return undefined;
}

/** The first required category without an explicit opt-in (absent or false both count as no). */
function missingConsent(row: CandidateRow, categories: readonly string[]): string | undefined {
  const consent = row.traits['consent'];
  const given = consent && typeof consent === 'object' ? (consent as Record<string, unknown>) : {};
  const missing = categories.find((category) => given[category] !== true);
  return missing === undefined ? undefined : `no consent for ${missing}`;
}

function withIdentifiers(row: CandidateRow, rules: EligibilityRules): Classified {
  const identifiers: Partial<Record<IdentifierKind, string>> = {};
  const problems: string[] = [];
  for (const [type, value] of Object.entries(row.identifiers)) {
    const kind = KIND_OF_TYPE[type];
    if (!kind || !rules.requiredIdentifiers.includes(kind) || typeof value !== 'string') continue;
    if (VALID[kind](value)) identifiers[kind] = value;
    else problems.push(`malformed ${kind}`);
  }
  if (Object.keys(identifiers).length === 0) {
    const reason = problems.length ? problems.join(', ') : `no ${rules.requiredIdentifiers.join(' or ')}`;
    return { profileId: row.profileId, verdict: 'invalid', reason };
  }
  const data: MemberData = {
    profileId: row.profileId,
    identifiers,
    traits: row.traits,
    ...(row.computed ? { computed: row.computed } : {}),
    deliveryKey: rules.deliveryKeyOf(row.profileId),
  };
  // The one sanctioned mint: every check above has passed for this member.
  return { profileId: row.profileId, verdict: 'eligible', member: data as EligibleMember };
}
