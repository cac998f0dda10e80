import { deletionRequestSchema, DeletionRecord, PrivacyDeletionService } from '@audiencekit/privacy';
import { CliUsageException } from '../database';
import { withPrivacyContext } from './privacy-context';

/**
 * `privacy delete --email x` (or --phone, --user-id, --anonymous-id): the same erasure as
 * POST /privacy/deletions, with the same services (a producer queue: removal syncs are queued for
 * the workers). Prints the record; its id is what GET /privacy/deletions/:id answers.
 */
export async function deletePerson(databaseUrl: string | undefined, identifierType: string, value: string): Promise<DeletionRecord> {
  if (!databaseUrl)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  const parsed = deletionRequestSchema.safeParse({ identifierType, value });
  if (!parsed.success)
    throw new CliUsageException(`invalid ${identifierType}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return withPrivacyContext(databaseUrl, (app) => app.get(PrivacyDeletionService).delete(parsed.data, null));
}

/** `--email` → `email`, ...: the one identifier option given (exactly one is required). */
export function identifierOption(values: Record<string, unknown>): { identifierType: string; value: string } {
  const given = (['email', 'phone', 'user-id', 'anonymous-id'] as const).filter((name) => typeof values[name] === 'string');
  if (given.length !== 1) throw new CliUsageException('privacy delete needs exactly one of --email, --phone, --user-id, --anonymous-id');
  return { identifierType: given[0].replace('-', '_'), value: values[given[0]] as string };
}
