// The holdout hash of libs/experimentation (HOLDOUT_HASH_VERSION 1), here with the model's seed as the
// salt: fmix32(FNV-1a-32(UTF-8(seed + ":" + key))). Copied rather than imported because a domain
// library may not depend on another one; stable-key-hash.spec.ts pins it to experimentation's vectors.

const FNV1A32_OFFSET_BASIS = 0x811c9dc5;
const FNV1A32_PRIME = 0x01000193;
const imul = Math.imul;

/**
 * A 32-bit hash of a row's stable key under a seed, the same on every installation and whatever the
 * row order: what a model's train/test split is decided by (never a random profile id).
 * @example stableKeyHash(1, 'user_id:12345') // an unsigned 32-bit integer
 */
export function stableKeyHash(seed: number | string, key: string): number {
  return fmix32(fnv1a32(`${seed}:${key}`));
}

function fnv1a32(text: string): number {
  let hash = FNV1A32_OFFSET_BASIS | 0;
  for (const byte of Buffer.from(text, 'utf8')) hash = imul(hash ^ byte, FNV1A32_PRIME);
  return hash >>> 0;
}

function fmix32(hash: number): number {
  let h = hash | 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
