import { SecretBox, SecretBoxException } from './secret-box';

describe('SecretBox (AES-256-GCM at rest)', () => {
  const oldKey = SecretBox.generateKey('old');
  const newKey = SecretBox.generateKey('new');

  it('round-trips a secret and never stores the plaintext', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('SG.super-secret-api-key');
    expect(sealed.keyId).toBe('new');
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('super-secret');
    expect(box.open(sealed)).toBe('SG.super-secret-api-key');
  });

  it('uses a fresh IV each time', () => {
    const box = new SecretBox(newKey);
    expect(box.seal('same').ciphertext).not.toBe(box.seal('same').ciphertext);
  });

  it('rotates: the first key seals, older listed keys still open, and old ciphertexts are flagged', () => {
    const sealedWithOld = new SecretBox(oldKey).seal('token');
    const rotated = new SecretBox(`${newKey},${oldKey}`);
    expect(rotated.open(sealedWithOld)).toBe('token');
    expect(rotated.needsRotation(sealedWithOld)).toBe(true);
    expect(rotated.needsRotation(rotated.seal('token'))).toBe(false);
  });

  it('refuses altered ciphertext, unknown key ids and malformed keys', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('token');
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open({ ...sealed, ciphertext: raw.toString('base64') })).toThrow(SecretBoxException);
    expect(() => new SecretBox(oldKey).open(sealed)).toThrow(/no key "new"/);
    expect(() => new SecretBox('x:abc')).toThrow(/base64 of 32 bytes/);
    expect(() => new SecretBox(' , ')).toThrow(/lists no key/);
  });
});
