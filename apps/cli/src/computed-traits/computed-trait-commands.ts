import { readFile } from 'node:fs/promises';
import type { ComputedTraitsService, ComputedTraitView } from '@audiencekit/segments-service';
import { CliUsageException } from '../database';

type Print = (line: string) => void;

/** Where `computed-traits preview` reads the definition: exactly one of a JSON file or inline JSON. */
export interface DefinitionSource {
  file?: string;
  definition?: string;
}

/**
 * `computed-traits preview --file def.json | --definition '<json>'`: the distribution the
 * definition would give now (as `POST /computed-traits/preview`); nothing is written. A mistake
 * inside the definition is the service's refusal naming `definition.<path>` (exit 1).
 */
export async function computedTraitsPreview(service: ComputedTraitsService, print: Print, definition: unknown): Promise<number> {
  const preview = await service.preview(definition);
  print(`profiles: ${preview.profiles}; with a value ${preview.withValue}, without ${preview.withoutValue}`);
  if (preview.numeric) {
    const { count, min, max, mean } = preview.numeric;
    print(`numeric values: ${count}; min ${min}, max ${max}, mean ${mean}`);
  }
  if (preview.histogram) {
    print('histogram:');
    for (const bucket of preview.histogram) print(`  ${bucket.from} – ${bucket.to}: ${bucket.count}`);
  }
  print(preview.topValues.length ? 'top values:' : 'top values: none');
  for (const entry of preview.topValues) print(`  ${JSON.stringify(entry.value)}: ${entry.count}`);
  return 0;
}

/** `computed-traits run <key>`: computes the trait for every profile now (one set-wise statement) and prints what changed. */
export async function computedTraitsRun(service: ComputedTraitsService, print: Print, key: string): Promise<number> {
  const outcome = await service.run(key, 'manual');
  print(
    `computed trait ${outcome.key} v${outcome.version}: ${outcome.withValue} profile(s) with a value; ` +
      `values upserted ${outcome.upserted}, deleted ${outcome.deleted}`,
  );
  return 0;
}

/** `computed-traits list`: one line per live trait (key, version, cadence, owner, definition, last run). */
export async function computedTraitsList(service: ComputedTraitsService, print: Print): Promise<number> {
  const traits = await service.list();
  if (traits.length === 0) print('no computed traits');
  for (const trait of traits) print(describeTrait(trait));
  return 0;
}

function describeTrait(trait: ComputedTraitView): string {
  const {
    function: fn,
    event,
    property,
    signal,
    window,
  } = trait.definition as { function: string; event: string; property?: string; signal?: string; window: string };
  const statistic = property !== undefined ? `${fn}(${property})` : signal !== undefined ? `${fn}(signals.${signal})` : fn;
  return `${trait.key} v${trait.version} [${trait.cadence}] owner ${trait.owner}: ${statistic} of ${JSON.stringify(event)} ${window}; last run ${trait.lastRunAt ?? 'never'}`;
}

/** The definition as JSON, read before any database work; a missing, unreadable or non-JSON source is a usage error. */
export async function readDefinition(source: DefinitionSource): Promise<unknown> {
  if ((source.file === undefined) === (source.definition === undefined))
    throw new CliUsageException('computed-traits preview needs --file <definition.json> or --definition <json> (one of them)');
  const text =
    source.file === undefined
      ? (source.definition as string)
      : await readFile(source.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliUsageException(`--file ${source.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
        });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageException(
      `${source.file === undefined ? '--definition' : `--file ${source.file}`}: not JSON (${(error as Error).message})`,
    );
  }
}
