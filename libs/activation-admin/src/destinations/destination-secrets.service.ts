import { Inject, Injectable } from '@nestjs/common';
import type { DestinationEntity } from '@audiencekit/persistence';
import { openSecrets } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig, SealedSecret, SecretBox } from '@audiencekit/server-core';
import { ActivationAdminException } from '../activation-admin.exception';

/**
 * Seals and opens destinations' vendor secrets with the SecretBox (AES-256-GCM, key ring from
 * AK_SECRETS_KEYS). The plaintext is the JSON of the secrets object the connector's schema accepted;
 * `secrets_ciphertext` holds the box's base64 (iv | tag | data) and `secrets_key_id` its key id.
 */
@Injectable()
export class DestinationSecrets {
  private readonly box: SecretBox | null;
  private readonly keys: string | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = config.AK_SECRETS_KEYS || undefined;
    this.box = this.keys ? new SecretBox(this.keys) : null;
  }

  seal(secrets: Record<string, unknown>): SealedSecret {
    return this.requireBox().seal(JSON.stringify(secrets));
  }

  /** The stored secrets as an object ({} when the destination has none), opened by the engine's connector runtime. */
  open(destination: Pick<DestinationEntity, 'secretsCiphertext' | 'secretsKeyId'>): Record<string, unknown> {
    if (!destination.secretsCiphertext || !destination.secretsKeyId) return {};
    this.requireBox();
    return openSecrets(destination, this.keys);
  }

  // Without a key the server can neither store nor read secrets: a configuration problem of the
  // server, not of the request, hence 503 with the variable to set.
  private requireBox(): SecretBox {
    if (!this.box)
      throw new ActivationAdminException(
        'secrets_key_missing',
        'AK_SECRETS_KEYS is not set: this server cannot encrypt or decrypt destination secrets',
      );
    return this.box;
  }
}
