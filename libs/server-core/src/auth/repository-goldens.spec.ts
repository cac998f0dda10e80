import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import { insertAuditEntry, listAuditEntries } from '../audit/audit-log.repository';
import { findActiveKeyByHash, insertApiKey, listApiKeys, revokeApiKey, setApiKeyTrust, touchApiKey } from './api-key.repository';

/**
 * Golden SQL of the server-core repositories (`src/__golden__/*.repository.sql`): each function
 * once, against a real migrated database; the statements' text (TypeORM's generated SQL) is
 * compared with the committed file. `UPDATE_GOLDENS=1 npx jest libs/server-core/src/auth/repository-goldens`
 * rewrites them.
 */
describe('golden SQL of the libs/server-core repositories', () => {
  let database: TestDatabase;
  const NOW = new Date('2026-03-01T12:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const manager = database.dataSource.manager;
    const keys: [string, string[]][] = [];
    const audit: [string, string[]][] = [];
    const record = async <T>(into: [string, string[]][], name: string, work: () => Promise<T>): Promise<T> => {
      const { result, statements } = await captureSql(database.dataSource, work);
      into.push([name, statements]);
      return result;
    };
    const key = await record(keys, 'insertApiKey', () =>
      insertApiKey(manager, { name: 'golden', role: 'admin', trust: 'client', prefix: 'ak_admin_gold', keyHash: 'f'.repeat(64) }),
    );
    await record(keys, 'findActiveKeyByHash', () => findActiveKeyByHash(manager, 'f'.repeat(64)));
    await record(keys, 'touchApiKey', () => touchApiKey(manager, key.id, NOW));
    await record(keys, 'setApiKeyTrust', () => setApiKeyTrust(manager, key.id, 'server'));
    await record(keys, 'listApiKeys', () => listApiKeys(manager, { limit: 10, offset: 0, role: 'admin', trust: 'client', revoked: false }));
    await record(keys, 'listApiKeys (revoked)', () => listApiKeys(manager, { limit: 10, offset: 0, revoked: true }));
    await record(keys, 'revokeApiKey', () => revokeApiKey(manager, key.id));
    await record(audit, 'insertAuditEntry', () =>
      insertAuditEntry(manager, {
        actorKeyId: key.id,
        action: 'POST /keys',
        objectType: 'keys',
        objectId: key.id,
        details: { handler: 'KeysController.create', params: {} },
      }),
    );
    await record(audit, 'listAuditEntries', () =>
      listAuditEntries(manager, { limit: 10, offset: 0, objectType: 'keys', objectId: key.id, actorKeyId: key.id, action: 'POST /keys' }),
    );
    expectGolden(join(__dirname, '..', '__golden__', 'api-key.repository.sql'), sqlSections(keys));
    expectGolden(join(__dirname, '..', '__golden__', 'audit-log.repository.sql'), sqlSections(audit));
  });
});
