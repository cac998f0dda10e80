import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { EXPORT_IDENTIFIERS, ExportIdentifier } from '@audiencekit/segments-service';
import { CliUsageException } from '../database';
import { EXIT, Print, resolveSegment } from './ops-commands';
import type { OpsServices } from './ops-context';

/** `segments upload-list <segment> <file.csv>`: a new version of a list segment and its refresh; prints the report. */
export async function segmentsUploadList(
  ops: OpsServices,
  print: Print,
  idOrKey: string,
  file: string,
  options: { defaultCountry?: string },
): Promise<number> {
  if (!existsSync(file)) throw new CliUsageException(`no file ${file}`);
  const segment = await resolveSegment(ops, idOrKey);
  const report = await ops.lists.upload(segment.id, createReadStream(file), { defaultCountry: options.defaultCountry, actor: null });
  print(
    `segment ${segment.key} v${report.version}: ${report.lines} line(s), ${report.identifiers} identifier(s), ` +
      `${report.matched} matched, ${report.unmatched.count} unmatched, ${report.invalid.count} invalid, ${report.duplicates} duplicate(s)`,
  );
  for (const line of report.invalid.lines) print(`  line ${line.line}: invalid (${line.reason}): ${line.value}`);
  for (const line of report.unmatched.lines) print(`  line ${line.line}: no profile has ${line.value}`);
  print(
    report.runId ? `refresh ${report.runId} queued (runs show ${report.runId})` : 'no refresh queued: the next refresh applies the list',
  );
  return EXIT.ok;
}

/** Parses `--identifiers email,phone`. */
export function identifiersOption(value: string | undefined): ExportIdentifier[] {
  const kinds = (value ?? 'email,phone,user_id')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const unknown = kinds.filter((kind) => !(EXPORT_IDENTIFIERS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0)
    throw new CliUsageException(
      `--identifiers takes a comma-separated list of ${EXPORT_IDENTIFIERS.join(', ')}${unknown.length ? `; not ${unknown.join(', ')}` : ''}`,
    );
  return kinds as ExportIdentifier[];
}

/** `members export <segment>`: the current members as CSV to `--out` (or stdout), streamed from Postgres; audited. */
export async function membersExport(
  ops: OpsServices,
  idOrKey: string,
  options: { identifiers: ExportIdentifier[]; out?: string; stdout: Writable },
): Promise<number> {
  const segment = await resolveSegment(ops, idOrKey);
  const csv = await ops.exports.membersCsv(segment.id, options.identifiers, { actorKeyId: null, via: 'cli' });
  if (options.out) await pipeline(csv, createWriteStream(options.out));
  else await pipeline(csv, options.stdout, { end: false });
  return EXIT.ok;
}
