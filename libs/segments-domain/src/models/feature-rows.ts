import { categoricalCodes, featureMatrix, type FeatureMatrix } from '../clustering/feature-matrix';
import type { ClipBounds, PreprocessingOptions } from '../clustering/preprocessing';
import type { FeatureKind } from './feature-sql';
import { featureName, type FittedDefinition } from './model-definitions.schema';

/** The rows of {@link compileFeatureSql} as a matrix: one row per profile, categorical features coded, rows labelled by profile id. */
export interface FeatureTable {
  profileIds: string[];
  matrix: FeatureMatrix;
}

/**
 * Turns the rows of the feature query (`profile_id`, `f0..fN`) into a {@link FeatureMatrix}:
 * numeric features as numbers (null: missing), categorical ones as level codes with their levels in
 * `matrix.categories`, and `matrix.rowLabels` = the profile ids (so refusals name the customer).
 * @example featureTableFromRows(definition, featureKinds(definition), rows).matrix.names
 */
export function featureTableFromRows(
  definition: FittedDefinition,
  kinds: readonly FeatureKind[],
  rows: readonly Record<string, unknown>[],
): FeatureTable {
  const names = definition.features.map(featureName);
  const cols = names.length;
  const data = new Float64Array(rows.length * cols);
  const categories: Record<string, readonly string[]> = {};
  names.forEach((name, j) => {
    const column = `f${j}`;
    if (kinds[j] === 'categorical') {
      const { codes, levels } = categoricalCodes(rows.map((row) => toText(row[column])));
      categories[name] = levels;
      for (let i = 0; i < rows.length; i++) data[i * cols + j] = codes[i];
      return;
    }
    for (let i = 0; i < rows.length; i++) data[i * cols + j] = toNumber(rows[i][column]);
  });
  const profileIds = rows.map((row) => String(row['profile_id']));
  const matrix = featureMatrix(data, rows.length, names, {
    categories: Object.keys(categories).length ? categories : undefined,
    rowLabels: profileIds,
  });
  return { profileIds, matrix };
}

/** The definition's preprocessing options: imputation, and per feature log1p, clip, shift, and topLevels of categorical features. */
export function featurePreprocessing(definition: FittedDefinition): PreprocessingOptions {
  const log1p: string[] = [];
  const clip: Record<string, ClipBounds> = {};
  const shift: Record<string, number> = {};
  const topLevels: Record<string, number> = {};
  for (const feature of definition.features) {
    const name = featureName(feature);
    if ('log1p' in feature && feature.log1p) log1p.push(name);
    if ('clip' in feature && feature.clip) clip[name] = feature.clip;
    if ('shift' in feature && feature.shift !== undefined) shift[name] = feature.shift;
    if ('topLevels' in feature && feature.topLevels !== undefined) topLevels[name] = feature.topLevels;
  }
  return { imputation: definition.imputation, log1p, clip, shift, topLevels };
}

/** The index of the feature a model column comes from (`name`, `name=<level>`, `name:other`, `name:missing`), or -1. */
export function featureIndexOfColumn(definition: FittedDefinition, column: string | undefined): number {
  if (column === undefined) return -1;
  const names = definition.features.map(featureName);
  const exact = names.indexOf(column);
  if (exact >= 0) return exact;
  return names.findIndex((name) => column.startsWith(`${name}=`) || column === `${name}:other` || column === `${name}:missing`);
}

function toNumber(value: unknown): number {
  if (value === null || value === undefined) return Number.NaN;
  return typeof value === 'number' ? value : Number(value);
}

function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}
