import { DataSource } from 'typeorm';
import { ApiKeyService } from '@audiencekit/server-core';

type Print = (line: string) => void;

/**
 * `keys list`: every key with its id, prefix, role, trust and state — never a secret: only hashes
 * are stored, and the listing drops even those (ApiKeyService.list).
 */
export async function listKeys(
  dataSource: DataSource,
  print: Print,
  filter: { limit: number; offset: number; revoked?: boolean },
): Promise<number> {
  const { items, total } = await new ApiKeyService(dataSource).list(filter);
  const rows = items.map((key) => [
    key.id,
    key.prefix,
    key.role,
    key.trust,
    key.revokedAt ? `revoked ${new Date(key.revokedAt).toISOString()}` : 'active',
    key.lastUsedAt ? new Date(key.lastUsedAt).toISOString() : 'never',
    key.name,
  ]);
  const header = ['ID', 'PREFIX', 'ROLE', 'TRUST', 'STATE', 'LAST USED', 'NAME'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  for (const row of [header, ...rows])
    print(
      row
        .map((cell, column) => String(cell).padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
  print(`${items.length} of ${total} key(s)`);
  return 0;
}

/** `keys revoke <id>`: 0 when revoked, 1 when no active key has that id. */
export async function revokeKey(dataSource: DataSource, print: Print, id: string): Promise<number> {
  if (!(await new ApiKeyService(dataSource).revoke(id))) {
    print(`no active key with id ${id}`);
    return 1;
  }
  print(`revoked key ${id}: API processes refuse it within their key cache's lifetime (seconds)`);
  return 0;
}
