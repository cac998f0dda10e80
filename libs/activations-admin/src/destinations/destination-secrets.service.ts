import { Inject, Injectable } from '@nestjs/common';
import type { DestinationEntity } from '@audiencekit/persistence';
import { ApiException, APP_CONFIG, AppConfig, SealedSecret, SecretBox } from '@audiencekit/server-core';

/**
 * Seals and opens destinations' vendor secrets with the SecretBox (AES-256-GCM, key ring from
 * AK_SECRETS_KEYS). The plaintext is the JSON of the secrets object the connector's schema accepted;
 * `secrets_ciphertext` holds the box's base64 (iv | tag | data) and `secrets_key_id` its key id.
 */
@Injectable()
export class DestinationSecrets {
  private readonly box: SecretBox | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.box = config.AK_SECRETS_KEYS ? new SecretBox(config.AK_SECRETS_KEYS) : null;
  }

  seal(secrets: Record<string, unknown>): SealedSecret {
    return this.requireBox().seal(JSON.stringify(secrets));
  }

  /** The stored secrets as an object ({} when the destination has none). */
  open(destination: Pick<DestinationEntity, 'secretsCiphertext' | 'secretsKeyId'>): Record<string, unknown> {
    if (!destination.secretsCiphertext || !destination.secretsKeyId) return {};
    return JSON.parse(this.requireBox().open({ keyId: destination.secretsKeyId, ciphertext: destination.secretsCiphertext })) as Record<string, unknown>;
  }

  // Without a key the server can neither store nor read secrets: a configuration problem of the
  // server, not of the request, hence 503 with the variable to set.
  private requireBox(): SecretBox {
    if (!this.box) throw new ApiException(503, 'secrets_key_missing', 'AK_SECRETS_KEYS is not set: this server cannot encrypt or decrypt destination secrets');
    return this.box;
  }
}

/** Every string value inside `secrets` (nested too), longest first, for redaction. */
export function secretValues(secrets: unknown): string[] {
  const values: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string' && value.length > 0) values.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
    else if (typeof value === 'number' || typeof value === 'bigint') values.push(String(value));
  };
  walk(secrets);
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by `[redacted]`. */
export function redactText(text: string, secrets: readonly string[]): string {
  return secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}

/** A deep copy of `value` with secret values redacted from every string in it. */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (value instanceof Error) return redactText(value.message, secrets);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, secrets)]));
  }
  return value;
}
