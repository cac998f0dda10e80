// audiencekit command line for ops (see apps/cli/README.md):
//   npm run cli -- import customers <file.csv>
//   npm run cli -- import orders <file.csv>
//   npm run cli -- keys create --role admin --name <name> [--trust client|server] | keys trust <key id> client|server
//   npm run cli -- keys list | keys revoke <key id>
//   npm run cli -- segments upload-list <id|key> <file.csv> | members export <id|key> [--identifiers email,phone]
//   npm run cli -- segments list | segments refresh <id|key> | segments update <id|key> --cadence <cadence>
//   npm run cli -- segments changes <id|key> | segments drift <id|key> | sync <activation-id> | runs show <run-id>
//   npm run cli -- secrets rotate | privacy delete --email <address>
//   npm run cli -- suppressions import <file.csv> | export [--channel sms] | add/remove --email <address> --reason <why>
//   npm run cli -- sql-traits preview --file q.sql | sql-traits run <key> | sql-traits list
//   npm run cli -- computed-traits preview --file def.json | computed-traits run <key> | computed-traits list
//   npm run cli -- text-signals list | text-signals score [--max-events N]
//   npm run cli -- journeys list | journeys show|report <id|key> | plays create --intent <segment> --value <segment> …
import 'reflect-metadata';
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HttpException, Logger } from '@nestjs/common';
import type { ApiKeyRole, ApiKeyTrust } from '@audiencekit/persistence';
import type { DataSource } from 'typeorm';
import { IngestionService } from '@audiencekit/ingestion';
import { TextSignalsService } from '@audiencekit/segments-service';
import { CodedException, isUuid } from '@audiencekit/util';
import { CliUsageException, openDatabase } from './database';
import { formatSummary, ImportFileException, importCsv, ImportKind } from './import/import-csv';
import { createKey, KEY_ROLES, KEY_TRUSTS, setKeyTrust } from './keys/create-key';
import { listKeys, revokeKey } from './keys/key-commands';
import { identifiersOption, membersExport, segmentsUploadList } from './ops/list-commands';
import { openOpsContext, OpsServices } from './ops/ops-context';
import { deletePerson, identifierOption } from './privacy/delete-person';
import { rotateSecrets } from './secrets/rotate-secrets';
import { profilesShow } from './profiles/profile-show';
import {
  exportFilterOption,
  exportSuppressions,
  formatImportReport,
  importSuppressions,
  suppressionOption,
  withSuppressions,
} from './privacy/suppression-commands';
import { runsShow, segmentsList, segmentsRefresh, syncActivation, WaitOptions } from './ops/ops-commands';
import { runsConfirm } from './ops/sync-confirm-command';
import { CHANGES_LIMIT, segmentsChanges, segmentsDrift, segmentsSetCadence } from './ops/segment-commands';
import { sqlTraitsList, sqlTraitsPreview, sqlTraitsRun, withSqlTraits } from './sql-traits/sql-trait-commands';
import { computedTraitsList, computedTraitsPreview, computedTraitsRun, readDefinition } from './computed-traits/computed-trait-commands';
import { textSignalsList, textSignalsScore } from './text-signals/text-signal-commands';
import { journeysList, journeysReport, journeysShow, JourneyServices, openJourneysContext, playsCreate } from './journeys/journey-commands';

const USAGE = `usage:
  npm run cli -- import customers <file.csv> [--batch-size 1000] [--phone-country GB] [--rejected-file rejected.csv] [--first-seen-column <header>]
  npm run cli -- import orders <file.csv>    [--batch-size 1000] [--rejected-file rejected.csv] [--first-seen-column <header>]
                                   (--first-seen-column: when each customer was first seen, ISO 8601; the earliest of it and the events wins)
  npm run cli -- keys create --role admin|marketer|viewer|write --name <name> [--trust client|server]
                                   (write keys: client, the default, for a key a browser or app may hold;
                                    server for a backend that keeps it secret)
  npm run cli -- keys trust <key id> client|server   (change a key's trust, e.g. a browser key made before trust levels)
  npm run cli -- keys list [--revoked true|false] [--limit 50] [--offset 0]   (ids, prefixes, roles; secrets are never stored)
  npm run cli -- keys revoke <key id>
  npm run cli -- segments list [--owner crm] [--status active|paused|archived] [--limit 50] [--offset 0]
  npm run cli -- segments refresh <segment id|key> [--no-wait] [--poll-ms 1000] [--timeout-ms 0]
  npm run cli -- segments update <segment id|key> --cadence manual|realtime|"<cron, UTC>"
                                   (realtime: members move with each event; rules only, refused otherwise)
  npm run cli -- segments changes <segment id|key> [--limit 50]   (latest entries and exits, newest first, and the size)
  npm run cli -- segments drift <segment id|key>   (a propensity model's PSI per feature and score, AUC since the fit, flags)
  npm run cli -- segments upload-list <segment id|key> <file.csv> [--phone-country GB]
                                   (a list segment's new version: one email, phone or user id a line; unmatched
                                    and invalid lines listed by number; a refresh is queued)
  npm run cli -- members export <segment id|key> [--identifiers email,phone,user_id,anonymous_id] [--out file.csv]
                                   (current members as CSV, streamed; audited)
  npm run cli -- sync <activation id> [--dry-run] [--no-wait] [--poll-ms 1000] [--timeout-ms 0]
  npm run cli -- runs show <segment run id|sync run id>
  npm run cli -- runs confirm <sync run id>   (release a sync run held for confirmation: mass send, mass removal, suspect refresh)
  npm run cli -- profiles show <email|+phone|user id|anonymous id|profile id> [--explain <segment id|key>] [--phone-country GB]
                                   (the person: identities, traits, segments, arms, suppressions, consent, merges)
  npm run cli -- secrets rotate          (re-seal every destination's secrets with the first key of AK_SECRETS_KEYS)
  npm run cli -- privacy delete --email <address> | --phone <+E.164> | --user-id <id> | --anonymous-id <id>
  npm run cli -- suppressions import <file.csv> [--reason <default reason>]
                                   (header identifier_type,identifier_value[,channel][,reason]; invalid lines listed by number)
  npm run cli -- suppressions export [--channel all|email|sms|ads|webhook] [--type email|phone|...] [--reason-contains <text>] [--out file.csv]
  npm run cli -- suppressions add|remove --email <address> | --phone <+E.164> | --user-id <id> | --anonymous-id <id> | --profile-id <uuid>
                                   [--channel all|email|sms|ads|webhook] --reason <why>
  npm run cli -- sql-traits preview --file <q.sql> [--key-kind profile_id|user_id|email]
                                   (runs the SELECT read-only over the documented views; prints columns, row count, first rows)
  npm run cli -- sql-traits run <key>   (runs a SQL trait now; its columns replace its values in computed traits)
  npm run cli -- sql-traits list        (key, version, cadence, owner, key kind, trait columns, last run)
  npm run cli -- computed-traits preview --file <definition.json> | --definition '<json>'
                                   (the distribution a definition would give now: counts, numeric range, histogram, top values)
  npm run cli -- computed-traits run <key>   (computes a computed trait for every profile now)
  npm run cli -- computed-traits list        (key, version, cadence, owner, definition, last run)
  npm run cli -- text-signals list          (scored event properties, vocabularies, events scored so far)
  npm run cli -- text-signals score [--max-events 20000]   (a scoring pass now, as the worker's; exit 3 if a worker is scoring)
  npm run cli -- journeys list               (key, status, version, entry segment, entered / in flight / goal reached)
  npm run cli -- journeys show <journey id|key>   (versions and the current definition's steps)
  npm run cli -- journeys report <journey id|key> (totals, per-step counts, the goal's lift or why not yet)
  npm run cli -- plays create --intent <segment> --value <segment> --owned <destination> --retargeting <destination>
                              --win-back <destination> --paid-media <destination>[,<destination>] [--key <prefix>]
                              [--offers "10% off|15% off|20% off"] [--wait-days 3]
                                   (the four intent × value plays in one transaction, as POST /plays)
Refreshes and syncs are queued for the workers; the CLI follows the run until it finishes
(exit 0 done, 1 failed, 3 held by the mass-send guard, 4 stopped watching at --timeout-ms).
DATABASE_URL names the Postgres database; pending migrations are applied first.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      trust: { type: 'string' },
      name: { type: 'string' },
      'batch-size': { type: 'string' },
      'phone-country': { type: 'string' },
      'rejected-file': { type: 'string' },
      'first-seen-column': { type: 'string' },
      owner: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      cadence: { type: 'string' },
      'no-wait': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'poll-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      email: { type: 'string' },
      phone: { type: 'string' },
      'user-id': { type: 'string' },
      'anonymous-id': { type: 'string' },
      'profile-id': { type: 'string' },
      explain: { type: 'string' },
      channel: { type: 'string' },
      reason: { type: 'string' },
      'reason-contains': { type: 'string' },
      type: { type: 'string' },
      out: { type: 'string' },
      identifiers: { type: 'string' },
      file: { type: 'string' },
      'key-kind': { type: 'string' },
      'max-events': { type: 'string' },
      definition: { type: 'string' },
      revoked: { type: 'string' },
      intent: { type: 'string' },
      value: { type: 'string' },
      owned: { type: 'string' },
      retargeting: { type: 'string' },
      'win-back': { type: 'string' },
      'paid-media': { type: 'string' },
      offers: { type: 'string' },
      'wait-days': { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, subject, file] = positionals;
  if (command === 'import' && (subject === 'customers' || subject === 'orders') && file) {
    const batchSize = values['batch-size'] === undefined ? 1_000 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2_500)
      throw new CliUsageException('--batch-size must be an integer from 1 to 2500');
    return runImport(subject, file, batchSize, values['phone-country'], values['rejected-file'], values['first-seen-column']);
  }
  if (command === 'keys' && subject === 'create') {
    const role = values.role as ApiKeyRole | undefined;
    if (!role || !KEY_ROLES.includes(role)) throw new CliUsageException(`--role must be one of ${KEY_ROLES.join(', ')}`);
    if (!values.name?.trim()) throw new CliUsageException('--name is required (who or what the key is for)');
    const trust = (values.trust ?? 'client') as ApiKeyTrust;
    if (!KEY_TRUSTS.includes(trust)) throw new CliUsageException(`--trust must be one of ${KEY_TRUSTS.join(', ')}`);
    return runCreateKey(values.name.trim(), role, trust);
  }
  if (command === 'keys' && subject === 'trust') {
    const [, , id, trust] = positionals;
    if (!id || !isUuid(id)) throw new CliUsageException('keys trust needs the key id (a UUID, as GET /keys lists it)');
    if (!KEY_TRUSTS.includes(trust as ApiKeyTrust)) throw new CliUsageException(`keys trust needs one of ${KEY_TRUSTS.join(', ')}`);
    return runSetKeyTrust(id, trust as ApiKeyTrust);
  }
  const wait: WaitOptions = {
    wait: !values['no-wait'],
    pollMs: integerOption(values['poll-ms'], 1_000, 'poll-ms', 10),
    timeoutMs: integerOption(values['timeout-ms'], 0, 'timeout-ms', 0),
  };
  if (command === 'keys' && subject === 'list') {
    const revoked = values.revoked === undefined ? undefined : values.revoked === 'true';
    if (values.revoked !== undefined && !['true', 'false'].includes(values.revoked))
      throw new CliUsageException('--revoked takes true or false');
    const page = { limit: integerOption(values.limit, 50, 'limit', 1), offset: integerOption(values.offset, 0, 'offset', 0), revoked };
    return withDatabase((dataSource) => listKeys(dataSource, print, page));
  }
  if (command === 'keys' && subject === 'revoke') {
    if (!file || !isUuid(file)) throw new CliUsageException('keys revoke needs the key id (a UUID, as keys list shows it)');
    return withDatabase((dataSource) => revokeKey(dataSource, print, file));
  }
  if (command === 'segments' && subject === 'upload-list' && file) {
    const listFile = positionals[3];
    if (!listFile) throw new CliUsageException('segments upload-list needs the segment and the CSV file');
    return withOps((ops) => segmentsUploadList(ops, print, file, listFile, { defaultCountry: values['phone-country'] }));
  }
  if (command === 'members' && subject === 'export' && file) {
    const identifiers = identifiersOption(values.identifiers);
    return withOps((ops) => membersExport(ops, file, { identifiers, out: values.out, stdout: process.stdout }));
  }
  if (command === 'segments' && subject === 'list') {
    const page = {
      owner: values.owner,
      status: values.status,
      limit: integerOption(values.limit, 50, 'limit', 1),
      offset: integerOption(values.offset, 0, 'offset', 0),
    };
    return withOps((ops) => segmentsList(ops, print, page));
  }
  if (command === 'segments' && subject === 'refresh' && file) return withOps((ops) => segmentsRefresh(ops, print, file, wait));
  if (command === 'segments' && subject === 'update' && file) {
    const cadence = values.cadence;
    if (cadence === undefined) throw new CliUsageException('segments update needs --cadence manual|realtime|"<cron>"');
    return withOps((ops) => segmentsSetCadence(ops, print, file, cadence));
  }
  if (command === 'segments' && subject === 'changes' && file) {
    const limit = integerOption(values.limit, CHANGES_LIMIT.default, 'limit', CHANGES_LIMIT.min);
    if (limit > CHANGES_LIMIT.max) throw new CliUsageException(`--limit must be at most ${CHANGES_LIMIT.max}`);
    return withOps((ops) => segmentsChanges(ops, print, file, limit));
  }
  if (command === 'segments' && subject === 'drift' && file) return withOps((ops) => segmentsDrift(ops, print, file));
  if (command === 'sync' && subject) return withOps((ops) => syncActivation(ops, print, subject, { ...wait, dryRun: values['dry-run'] }));
  if (command === 'runs' && subject === 'show' && file) return withOps((ops) => runsShow(ops, print, file));
  if (command === 'runs' && subject === 'confirm' && file) return withOps((ops) => runsConfirm(ops, print, file));
  if (command === 'secrets' && subject === 'rotate') return runRotateSecrets();
  if (command === 'profiles' && subject === 'show' && file)
    return withDatabase((dataSource) =>
      profilesShow(dataSource, print, file, { explain: values.explain, phoneCountry: values['phone-country'] }),
    );
  if (command === 'privacy' && subject === 'delete') return runDeletePerson(identifierOption(values));
  if (command === 'suppressions') return runSuppressions(subject, file, values);
  if (command === 'sql-traits' && subject === 'preview') {
    const sqlFile = values.file;
    if (!sqlFile) throw new CliUsageException('sql-traits preview needs --file <q.sql>');
    return withSqlTraits(process.env.DATABASE_URL, (service) => sqlTraitsPreview(service, print, sqlFile, values['key-kind']));
  }
  if (command === 'sql-traits' && subject === 'run' && file)
    return withSqlTraits(process.env.DATABASE_URL, (service) => sqlTraitsRun(service, print, file));
  if (command === 'sql-traits' && subject === 'list')
    return withSqlTraits(process.env.DATABASE_URL, (service) => sqlTraitsList(service, print));
  if (command === 'computed-traits' && subject === 'preview') {
    const definition = await readDefinition({ file: values.file, definition: values.definition });
    return withOps((ops) => computedTraitsPreview(ops.computedTraits, print, definition));
  }
  if (command === 'computed-traits' && subject === 'run' && file)
    return withOps((ops) => computedTraitsRun(ops.computedTraits, print, file));
  if (command === 'computed-traits' && subject === 'list') return withOps((ops) => computedTraitsList(ops.computedTraits, print));
  if (command === 'text-signals' && subject === 'list')
    return withDatabase((dataSource) => textSignalsList(new TextSignalsService(dataSource), print));
  if (command === 'text-signals' && subject === 'score') {
    const maxEvents = integerOption(values['max-events'], 20_000, 'max-events', 1);
    return withDatabase((dataSource) => textSignalsScore(new TextSignalsService(dataSource), print, maxEvents));
  }
  if (command === 'journeys' && subject === 'list') return withJourneys((services) => journeysList(services, print));
  if (command === 'journeys' && subject === 'show' && file) return withJourneys((services) => journeysShow(services, print, file));
  if (command === 'journeys' && subject === 'report' && file) return withJourneys((services) => journeysReport(services, print, file));
  if (command === 'plays' && subject === 'create') return withJourneys((services) => playsCreate(services, print, values));
  throw new CliUsageException(`unknown command: ${positionals.join(' ') || '(none)'}`);
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function integerOption(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new CliUsageException(`--${name} must be an integer of at least ${min}`);
  return parsed;
}

async function withDatabase(command: (dataSource: DataSource) => Promise<number>): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    return await command(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function withOps(command: (ops: OpsServices) => Promise<number>): Promise<number> {
  const ops = await openOpsContext(process.env.DATABASE_URL);
  try {
    return await command(ops);
  } finally {
    await ops.close();
  }
}

async function withJourneys(command: (services: JourneyServices) => Promise<number>): Promise<number> {
  const services = await openJourneysContext(process.env.DATABASE_URL);
  try {
    return await command(services);
  } finally {
    await services.close();
  }
}

async function runImport(
  kind: ImportKind,
  file: string,
  batchSize: number,
  phoneCountry?: string,
  rejectedFile?: string,
  firstSeenColumn?: string,
): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    if (rejectedFile) writeFileSync(rejectedFile, 'line,reason\n');
    // Imported rows are handed to real-time evaluation like tracked events (unless AK_REALTIME is off).
    const realtimeHandOff = !['false', '0'].includes(process.env.AK_REALTIME ?? '');
    const ingestion = new IngestionService(dataSource, { defaultPhoneCountry: phoneCountry, realtimeHandOff });
    const summary = await importCsv(ingestion, {
      kind,
      file,
      batchSize,
      progress: process.stdout.isTTY === true,
      firstSeenColumn,
      onRejected: rejectedFile ? (line, reason) => appendFileSync(rejectedFile, `${line},"${reason.replace(/"/g, '""')}"\n`) : undefined,
    });
    process.stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function runCreateKey(name: string, role: ApiKeyRole, trust: ApiKeyTrust): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    const created = await createKey(dataSource, name, role, trust);
    process.stdout.write(
      `created ${role} key "${name}" (id ${created.key.id}, prefix ${created.prefix}${role === 'write' ? `, trust ${trust}` : ''})\n` +
        `secret: ${created.secret}\n` +
        'store it now: only its hash is kept, it cannot be shown again\n',
    );
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function runSetKeyTrust(id: string, trust: ApiKeyTrust): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    if (!(await setKeyTrust(dataSource, id, trust))) {
      process.stderr.write(`no active key with id ${id}\n`);
      return 1;
    }
    process.stdout.write(`key ${id} is now a ${trust} source\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function runRotateSecrets(): Promise<number> {
  const keyRing = process.env.AK_SECRETS_KEYS;
  if (!keyRing) throw new CliUsageException('AK_SECRETS_KEYS is not set: list the new key first and keep the old ones (id:base64key,...)');
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    const summary = await rotateSecrets(dataSource, keyRing);
    print(`re-sealed ${summary.resealed} of ${summary.checked} destination secret(s) with key "${summary.keyId}"`);
    if (summary.checked > 0) print('the other keys can now be dropped from AK_SECRETS_KEYS once every process runs with the new ring');
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function runDeletePerson(identifier: { identifierType: string; value: string }): Promise<number> {
  const record = await deletePerson(process.env.DATABASE_URL, identifier.identifierType, identifier.value);
  print(JSON.stringify(record, null, 2));
  return 0;
}

async function runSuppressions(subject: string | undefined, file: string | undefined, values: Record<string, unknown>): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (subject === 'import' && file) {
    const reason = typeof values['reason'] === 'string' ? values['reason'].trim() : 'imported';
    if (!reason) throw new CliUsageException('--reason must not be empty');
    const report = await withSuppressions(url, (service) => importSuppressions(service, file, reason));
    formatImportReport(report).forEach(print);
    return 0;
  }
  if (subject === 'export') {
    const filter = exportFilterOption(values);
    await withSuppressions(url, (service) => exportSuppressions(service, filter, values['out'] as string | undefined));
    return 0;
  }
  if (subject === 'add') {
    const input = suppressionOption(values, 'add');
    const added = await withSuppressions(url, (service) => service.add(input, null));
    const { identifierType, value, channel } = added.suppression;
    print(`${added.created ? 'suppressed' : 'already suppressed'}: ${identifierType} ${value} on ${channel}`);
    for (const removal of added.removals)
      print(`removal sync ${removal.syncRunId ?? '(not queued)'} for activation ${removal.activationId}`);
    return 0;
  }
  if (subject === 'remove') {
    const input = suppressionOption(values, 'remove');
    const removed = await withSuppressions(url, (service) => service.remove(input, null));
    print(`lifted: ${removed.identifierType} ${removed.value} on ${removed.channel} (was: ${removed.reason})`);
    return 0;
  }
  throw new CliUsageException('suppressions needs import <file.csv>, export, add or remove');
}

// Identity-stitching refusals are logged as warnings; errors only otherwise, to keep the summary readable.
Logger.overrideLogger(['error', 'warn']);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliUsageException || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof HttpException || error instanceof CodedException) {
      // The services' own errors (unknown activation, unknown segment, deleted destination...): their message says it all.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(
      `${error instanceof ImportFileException ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
