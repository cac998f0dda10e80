import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { ImportReport, suppressionAddSchema, suppressionFilterSchema, SuppressionsService } from '@audiencekit/privacy';
import { CliUsageException } from '../database';
import { withPrivacyContext } from './privacy-context';

/**
 * `suppressions import|export|add|remove`: the same SuppressionsService the API calls (same
 * normalisation, audit rows with `via: cli` and no key, removal syncs queued for the workers).
 */
export async function withSuppressions<T>(databaseUrl: string | undefined, use: (service: SuppressionsService) => Promise<T>): Promise<T> {
  return withPrivacyContext(databaseUrl, (app) => use(app.get(SuppressionsService)));
}

const IDENTIFIER_OPTIONS = ['email', 'phone', 'user-id', 'anonymous-id', 'profile-id'] as const;

/** `--email x --channel sms --reason "..."` → a validated suppression (a usage error names the option). */
export function suppressionOption(values: Record<string, unknown>, command: string) {
  const given = IDENTIFIER_OPTIONS.filter((name) => typeof values[name] === 'string');
  if (given.length !== 1)
    throw new CliUsageException(`suppressions ${command} needs exactly one of ${IDENTIFIER_OPTIONS.map((o) => `--${o}`).join(', ')}`);
  if (typeof values['reason'] !== 'string')
    throw new CliUsageException(`suppressions ${command} needs --reason "<why>" (kept in the audit log)`);
  const parsed = suppressionAddSchema.safeParse({
    identifierType: given[0].replace('-', '_'),
    value: values[given[0]],
    channel: values['channel'] ?? 'all',
    reason: values['reason'],
  });
  if (!parsed.success) {
    const optionOf = (path: string) => (path === 'value' ? given[0] : path === 'identifierType' ? given[0] : path);
    throw new CliUsageException(parsed.error.issues.map((issue) => `--${optionOf(String(issue.path[0]))} ${issue.message}`).join('; '));
  }
  return parsed.data;
}

/** `--channel --type --reason-contains` of the export, validated like the API's query. */
export function exportFilterOption(values: Record<string, unknown>) {
  const parsed = suppressionFilterSchema.safeParse({
    channel: values['channel'],
    identifierType: values['type'],
    reason: values['reason-contains'],
  });
  if (!parsed.success)
    throw new CliUsageException(parsed.error.issues.map((issue) => `--${String(issue.path[0])} ${issue.message}`).join('; '));
  return parsed.data;
}

export async function importSuppressions(service: SuppressionsService, file: string, defaultReason: string): Promise<ImportReport> {
  if (!existsSync(file)) throw new CliUsageException(`no file ${file}`);
  return service.import(createReadStream(file), { defaultReason, actorKeyId: null, via: 'cli' });
}

export function formatImportReport(report: ImportReport): string[] {
  const lines = [
    `read ${report.lines} line(s): ${report.added} added, ${report.alreadySuppressed} already suppressed, ${report.invalidCount} invalid`,
  ];
  for (const invalid of report.invalid) lines.push(`line ${invalid.line}: ${invalid.reason}`);
  if (report.invalidCount > report.invalid.length) lines.push(`… and ${report.invalidCount - report.invalid.length} more invalid line(s)`);
  for (const removal of report.removals)
    lines.push(
      `removal sync ${removal.syncRunId ?? '(not queued)'} for activation ${removal.activationId}${removal.note ? ` — ${removal.note}` : ''}`,
    );
  return lines;
}

/** Streams the CSV to `out` (a file) or stdout, respecting back-pressure. */
export async function exportSuppressions(
  service: SuppressionsService,
  filter: ReturnType<typeof exportFilterOption>,
  out: string | undefined,
): Promise<void> {
  await service.auditExport(filter, null, 'cli');
  const target = out ? createWriteStream(out) : process.stdout;
  for await (const chunk of service.exportCsv(filter)) {
    if (!target.write(chunk)) await once(target, 'drain');
  }
  if (out) {
    target.end();
    await once(target, 'finish');
  }
}
