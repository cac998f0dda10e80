import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { AppConfig, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { z } from 'zod';
import { ConnectorCatalog } from '../connectors/connector-catalog.service';
import { DestinationSecrets } from '../destinations/destination-secrets.service';
import { DestinationsService } from '../destinations/destinations.service';

/**
 * The connection-test path redacts the destination secrets exactly as the sync path does (one rule,
 * libs/activation-engine/src/connector-runtime.ts). Twin of the sync-path test in
 * libs/activation-engine/src/__tests__/connector-runtime.spec.ts: same secrets, same text, same result.
 */
describe('the connection-test path redacts the destination secrets from what the vendor answers', () => {
  const SECRETS = { apiKey: 'sk_live_abcdef', pin: 4711, region: 'eu' };
  const VENDOR_TEXT = 'refused sk_live_abcdef with pin 4711 in eu';
  const EXPECTED = 'refused [redacted] with pin [redacted] in eu';
  const keys = SecretBox.generateKey('k1');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('answers the failed test with the same redaction as a sync run stores', async () => {
    const connector: AnyConnectorDefinition = {
      slug: 'redacting',
      displayName: 'Redacting test connector',
      channel: 'email',
      deliveryModel: 'list',
      settings: z.object({}).passthrough(),
      secrets: z.object({}).passthrough(),
      requiredIdentifiers: ['email'],
      limits: { maxBatchSize: 10 },
      testConnection: async () => {
        throw new Error(VENDOR_TEXT);
      },
      upsert: async () => [],
    };
    const config = { AK_SECRETS_KEYS: keys, AK_CONNECTOR_BASE_URLS: {} } as unknown as AppConfig;
    const service = new DestinationsService(db.dataSource, new ConnectorCatalog([connector]), new DestinationSecrets(config), config);
    const sealed = new SecretBox(keys).seal(JSON.stringify(SECRETS));
    const [destination] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ('t', 'redacting', '{}', $1, $2) RETURNING id`,
      [sealed.ciphertext, sealed.keyId],
    );
    const result = await service.testConnection(destination.id);
    expect(result).toEqual({ ok: false, error: { code: 'connector_error', message: EXPECTED } });
  });
});
