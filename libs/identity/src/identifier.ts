/** The kinds of identifier that stitch messages to profiles, strongest first. */
export const IDENTIFIER_TYPES = ['user_id', 'email', 'phone', 'anonymous_id'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

/** One normalised identifier (emails lower-cased, phones in E.164). */
export interface Identifier {
  type: IdentifierType;
  value: string;
}

/**
 * Strength of an identifier type: a profile found through a stronger identifier wins a merge, and
 * a message is attributed to the profile of its strongest identifier. A login (user id) outranks
 * contact details, which outrank a cookie or device id.
 */
export function identifierRank(type: IdentifierType): number {
  return IDENTIFIER_TYPES.indexOf(type);
}

/** A stable map key for an identifier: `email:ann@example.com`. */
export function identifierKey(identifier: Identifier): string {
  return `${identifier.type}:${identifier.value}`;
}

/** Strongest first; ties keep their input order. */
export function byStrength(identifiers: readonly Identifier[]): Identifier[] {
  return [...identifiers].sort((a, b) => identifierRank(a.type) - identifierRank(b.type));
}
