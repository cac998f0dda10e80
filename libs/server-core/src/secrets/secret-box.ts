import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretBoxException extends Error {
  constructor(
    readonly code: 'no_keys' | 'bad_key' | 'unknown_key_id' | 'tampered',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxException';
  }
}

export interface SealedSecret {
  keyId: string;
  /** base64 of iv (12 bytes) | auth tag (16 bytes) | ciphertext */
  ciphertext: string;
}

/**
 * Encrypts vendor secrets at rest with AES-256-GCM. Keys come from the environment as
 * `AK_SECRETS_KEYS=id1:base64key,id2:base64key`: the FIRST key encrypts, every listed key can
 * decrypt (by the key id stored next to each ciphertext). Rotation: put a new key first, keep the
 * old one listed, re-seal (`audiencekit secrets rotate`), then drop the old key.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly currentKeyId: string;

  constructor(keyRing: string) {
    const entries = keyRing
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map(parseKey);
    if (entries.length === 0) throw new SecretBoxException('no_keys', 'AK_SECRETS_KEYS lists no key');
    this.keys = new Map(entries);
    this.currentKeyId = entries[0][0];
  }

  /** A random key in the format AK_SECRETS_KEYS expects. */
  static generateKey(keyId = `k${Date.now().toString(36)}`): string {
    return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  seal(plaintext: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(this.currentKeyId), iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentKeyId, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64') };
  }

  open(sealed: SealedSecret): string {
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key(sealed.keyId), raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxException('tampered', 'secret failed authentication (wrong key or altered ciphertext)');
    }
  }

  /**
   * A 32-byte key for another purpose (e.g. keyed hashes in audit records), derived from the
   * current key with HKDF-SHA256 (empty salt, `info` = purpose), so no second secret has to be
   * configured and the ring's key never leaves this class. Returns the id of the key it came from:
   * after a rotation, derive with `keyId` to recompute an older value (while that key is listed).
   */
  deriveKey(purpose: string, keyId = this.currentKeyId): { keyId: string; key: Buffer } {
    return { keyId, key: Buffer.from(hkdfSync('sha256', this.key(keyId), Buffer.alloc(0), purpose, KEY_BYTES)) };
  }

  /** True when `sealed` was made with an older key and should be re-sealed. */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.currentKeyId;
  }

  private key(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxException('unknown_key_id', `no key "${keyId}" in AK_SECRETS_KEYS`);
    return key;
  }
}

function parseKey(entry: string): [string, Buffer] {
  const separator = entry.indexOf(':');
  const id = entry.slice(0, separator);
  const key = Buffer.from(entry.slice(separator + 1), 'base64');
  if (separator <= 0 || key.length !== KEY_BYTES) {
    throw new SecretBoxException('bad_key', `each AK_SECRETS_KEYS entry must be "<id>:<base64 of ${KEY_BYTES} bytes>"`);
  }
  return [id, key];
}
