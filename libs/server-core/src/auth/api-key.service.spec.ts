import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ApiKeyService } from './api-key.service';

describe('ApiKeyService against Postgres', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const revokeElsewhere = (id: string) => db.dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);

  it('trusts a verified key for the cache period: a revocation made elsewhere applies once it ends', async () => {
    const service = new ApiKeyService(db.dataSource, 300);
    const { key, secret } = await service.create('cached', 'write');
    expect(await service.authenticate(secret)).toEqual(key);
    await revokeElsewhere(key.id); // as another API process or the CLI would
    expect(await service.authenticate(secret)).toEqual(key); // still within the period
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await service.authenticate(secret)).toBeNull();
  });

  it('applies a revocation made through the same service at once', async () => {
    const service = new ApiKeyService(db.dataSource, 60_000);
    const { key, secret } = await service.create('revoked here', 'viewer');
    expect(await service.authenticate(secret)).toEqual(key);
    expect(await service.revoke(key.id)).toBe(true);
    expect(await service.authenticate(secret)).toBeNull();
  });

  it('never caches an unknown secret: a key created later is found', async () => {
    const service = new ApiKeyService(db.dataSource, 60_000);
    expect(await service.authenticate('ak_wrt_not-a-key')).toBeNull();
    const { key, secret } = await service.create('late', 'write');
    expect(await service.authenticate(secret)).toEqual(key);
  });

  it('asks the database every time when the cache is off', async () => {
    const service = new ApiKeyService(db.dataSource, 0);
    const { key, secret } = await service.create('uncached', 'write');
    expect(await service.authenticate(secret)).toEqual(key);
    await revokeElsewhere(key.id);
    expect(await service.authenticate(secret)).toBeNull();
  });

  it('records when a key was last used, at most once a minute', async () => {
    const service = new ApiKeyService(db.dataSource, 60_000);
    const { key, secret } = await service.create('used', 'write');
    await service.authenticate(secret);
    const [{ last_used_at: first }] = await db.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id]);
    expect(first).toBeInstanceOf(Date);
    await service.authenticate(secret);
    const [{ last_used_at: second }] = await db.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id]);
    expect(second).toEqual(first);
  });
});
