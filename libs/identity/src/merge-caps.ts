import { IdentifierType } from './identifier';

/** The most identifiers of each type one profile may hold; stitching refuses what would exceed it. */
export type MergeCaps = Record<IdentifierType, number>;

/**
 * Defaults: one user id per profile (two logins on one device are two people, not one), a few
 * emails and phones (people have work and home addresses), and many anonymous ids (every browser
 * and app install gets one). Override per deployment with `IngestionOptions.mergeCaps`.
 */
export const DEFAULT_MERGE_CAPS: MergeCaps = { user_id: 1, email: 5, phone: 5, anonymous_id: 100 };
