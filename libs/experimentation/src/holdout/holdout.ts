import { ExperimentationException } from '../experimentation.exception';
import { FNV1A32_OFFSET_BASIS, fmix32, fnv1a32Update } from './fnv1a';

/** Arm of one activation's split. */
export type HoldoutArm = 'control' | 'treatment';
/** Arm once the global holdout is applied first: a global-holdout member is in no activation at all. */
export type ResolvedArm = 'global_holdout' | HoldoutArm;

/**
 * Version of the bucketing scheme below. Changing the hash, the byte layout or the mapping to
 * [0, 1) reshuffles every arm, so it would be a new version stored next to the salt, never an edit.
 */
export const HOLDOUT_HASH_VERSION = 1;

/** Every hash version this code implements; a salt stored with another version is refused. */
export const KNOWN_HOLDOUT_HASH_VERSIONS: readonly number[] = [HOLDOUT_HASH_VERSION];

const TWO_TO_THE_32 = 4294967296;
const SEPARATOR = ':';

/** A holdout: who is held back is decided by `salt`, how many by `share` ∈ [0, 1). */
export interface HoldoutSplit {
  salt: string;
  share: number;
  /**
   * The hash version stored beside the salt. Pass it whenever the salt was read from storage;
   * absent means {@link HOLDOUT_HASH_VERSION} (a salt made in memory, e.g. in a test).
   */
  hashVersion?: number;
}

export interface ArmResolutionConfig {
  /** The share of all customers no activation ever contacts; `null`/absent means none. */
  globalHoldout?: HoldoutSplit | null;
  /** This activation's control group, drawn from the customers outside the global holdout. */
  activation: HoldoutSplit;
}

/**
 * The 32-bit holdout hash of a profile: `fmix32(FNV-1a-32(UTF-8(salt + ":" + profileId)))`.
 * The bytes are hashed in place (no concatenated string is built). See README "Holdout hash" for
 * the exact layout and test vectors.
 *
 * @throws ExperimentationException `invalid_identifier` when salt or id is not a non-empty string.
 * @example holdoutHash('activation-42', 'profile-1') // an unsigned 32-bit integer
 */
export function holdoutHash(salt: string, profileId: string): number {
  assertIdentifier(salt, 'salt');
  assertIdentifier(profileId, 'profileId');
  return fmix32(fnv1a32Update(saltState(salt), profileId));
}

/**
 * The profile's bucket in [0, 1): `holdoutHash / 2^32`. Exact in binary floating point, so any
 * language reproduces it bit for bit.
 */
export function holdoutBucket(salt: string, profileId: string): number {
  return holdoutHash(salt, profileId) / TWO_TO_THE_32;
}

/**
 * The profile's arm: `control` when its bucket < `controlShare`, else `treatment`. Sticky (a pure
 * function of salt and id) and monotone: raising the share only moves profiles into control.
 *
 * @throws ExperimentationException `invalid_share` unless 0 ≤ controlShare < 1; `invalid_identifier`.
 * @example assignArm('activation-42', 'profile-1', 0.1) // 'treatment' for about 90% of ids
 */
export function assignArm(salt: string, profileId: string, controlShare: number): HoldoutArm {
  assertShare(controlShare, 'controlShare');
  return holdoutBucket(salt, profileId) < controlShare ? 'control' : 'treatment';
}

/**
 * Whether the profile belongs to the global holdout (never contacted by any activation).
 * Same bucketing as {@link assignArm}; use a salt of its own so it is independent of every
 * activation's split.
 */
export function isInGlobalHoldout(globalSalt: string, profileId: string, share: number): boolean {
  assertShare(share, 'globalHoldout.share');
  return holdoutBucket(globalSalt, profileId) < share;
}

/**
 * The global holdout first, then the activation's own split among everyone else.
 *
 * @throws ExperimentationException `invalid_share` (field `globalHoldout.share` or
 *   `activation.share`), `invalid_identifier` (field `globalHoldout.salt`, `activation.salt`, `profileId`),
 *   `unknown_hash_version` (field `globalHoldout.hashVersion` or `activation.hashVersion`).
 * @example resolveArm({ globalHoldout: { salt: 'global', share: 0.05 }, activation: { salt: 'a-42', share: 0.1 } }, id)
 */
export function resolveArm(config: ArmResolutionConfig, profileId: string): ResolvedArm {
  return createArmResolver(config)(profileId);
}

/**
 * Checks a stored hash version before any bucketing: only a version this code implements may
 * decide arms, never a fallback to another one (that would silently move members between arms).
 *
 * @throws ExperimentationException `unknown_hash_version` for any value not in {@link KNOWN_HOLDOUT_HASH_VERSIONS}.
 * @example assertHoldoutHashVersion(row.holdout_hash_version, 'activation.hashVersion')
 */
export function assertHoldoutHashVersion(version: unknown, field = 'hashVersion'): asserts version is number {
  if (typeof version !== 'number' || !KNOWN_HOLDOUT_HASH_VERSIONS.includes(version)) {
    throw new ExperimentationException(
      'unknown_hash_version',
      field,
      `holdout hash version ${String(version)} is not implemented here (known: ${KNOWN_HOLDOUT_HASH_VERSIONS.join(', ')})`,
    );
  }
}

/** A precomputed {@link assignArm} for one salt and share: the salt's bytes are hashed once. */
export interface HoldoutAssigner {
  readonly salt: string;
  readonly controlShare: number;
  readonly hashVersion: number;
  bucket(profileId: string): number;
  arm(profileId: string): HoldoutArm;
  isControl(profileId: string): boolean;
}

/**
 * Validates once and returns an assigner for many profiles; the FNV state after `salt + ":"` is
 * kept, so each call hashes only the profile id. Same results as {@link assignArm}.
 *
 * @throws ExperimentationException `invalid_identifier`, `invalid_share`, `unknown_hash_version`.
 */
export function createHoldoutAssigner(
  salt: string,
  controlShare: number,
  fields = { salt: 'salt', share: 'controlShare', hashVersion: 'hashVersion' },
  hashVersion: number = HOLDOUT_HASH_VERSION,
): HoldoutAssigner {
  assertHoldoutHashVersion(hashVersion, fields.hashVersion);
  assertIdentifier(salt, fields.salt);
  assertShare(controlShare, fields.share);
  const prefix = saltState(salt);
  // bucket < share  ⇔  hash < share · 2^32 exactly (multiplying by a power of two is exact).
  const threshold = controlShare * TWO_TO_THE_32;
  const hashOf = (profileId: string): number => {
    assertIdentifier(profileId, 'profileId');
    return fmix32(fnv1a32Update(prefix, profileId));
  };
  return {
    salt,
    controlShare,
    hashVersion,
    bucket: (profileId) => hashOf(profileId) / TWO_TO_THE_32,
    arm: (profileId) => (hashOf(profileId) < threshold ? 'control' : 'treatment'),
    isControl: (profileId) => hashOf(profileId) < threshold,
  };
}

/** A precomputed {@link resolveArm}: validates the configuration once. */
export function createArmResolver(config: ArmResolutionConfig): (profileId: string) => ResolvedArm {
  const global = config.globalHoldout
    ? createHoldoutAssigner(
        config.globalHoldout.salt,
        config.globalHoldout.share,
        { salt: 'globalHoldout.salt', share: 'globalHoldout.share', hashVersion: 'globalHoldout.hashVersion' },
        config.globalHoldout.hashVersion,
      )
    : null;
  const activation = createHoldoutAssigner(
    config.activation.salt,
    config.activation.share,
    { salt: 'activation.salt', share: 'activation.share', hashVersion: 'activation.hashVersion' },
    config.activation.hashVersion,
  );
  return (profileId) => (global?.isControl(profileId) ? 'global_holdout' : activation.arm(profileId));
}

function saltState(salt: string): number {
  return fnv1a32Update(fnv1a32Update(FNV1A32_OFFSET_BASIS, salt), SEPARATOR);
}

function assertIdentifier(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ExperimentationException('invalid_identifier', field, 'must be a non-empty string');
  }
}

function assertShare(share: unknown, field: string): asserts share is number {
  // A share of 1 would put everyone in control (or the global holdout): no one could ever be
  // treated, which is a configuration mistake rather than an experiment.
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share >= 1) {
    throw new ExperimentationException('invalid_share', field, `must be a number with 0 ≤ share < 1, got ${String(share)}`);
  }
}
