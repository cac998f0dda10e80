import { ClusteringException } from './clustering.exception';

/**
 * Numeric features of many profiles: `rows × cols` values in one row-major Float64Array
 * (value of feature j for profile i at `data[i * cols + j]`). No object per profile, so a million
 * profiles cost 8 bytes per value and the hot loops stay monomorphic. `NaN` means missing.
 */
export interface FeatureMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** One name per column, in column order. */
  readonly names: readonly string[];
  /**
   * Categorical columns: column name → its values, the column holding each value's index (0-based,
   * `NaN` = missing). Preprocessing one-hot encodes them (see `fitPreprocessor`). Absent: all numeric.
   */
  readonly categories?: Readonly<Record<string, readonly string[]>>;
  /** Who each row is (a profile id), so a refusal names the customer, not a row position. */
  readonly rowLabels?: readonly string[];
}

/** The part of a matrix the numeric algorithms need (names are optional for them). */
export interface MatrixLike {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A column of raw values: `null`/`undefined`/`NaN` are missing. */
export type RawColumn = ArrayLike<number | null | undefined>;

/**
 * Wraps row-major data with its shape and column names, checking they agree.
 * @throws {ClusteringException} `shape_mismatch` when sizes disagree.
 * @example featureMatrix(new Float64Array([1, 2, 3, 4]), 2, ['income', 'score'])
 */
export function featureMatrix(
  data: Float64Array,
  rows: number,
  names: readonly string[],
  extras: Pick<FeatureMatrix, 'categories' | 'rowLabels'> = {},
): FeatureMatrix {
  const cols = names.length;
  if (cols === 0) throw new ClusteringException('shape_mismatch', 'at least one feature is required', 'features');
  if (!Number.isInteger(rows) || rows < 0 || data.length !== rows * cols) {
    throw new ClusteringException('shape_mismatch', `expected ${rows} × ${cols} = ${rows * cols} values, got ${data.length}`, 'data');
  }
  if (new Set(names).size !== cols) throw new ClusteringException('shape_mismatch', 'feature names must be unique', 'features');
  if (extras.rowLabels && extras.rowLabels.length !== rows)
    throw new ClusteringException('shape_mismatch', `${extras.rowLabels.length} row labels for ${rows} rows`, 'rowLabels');
  const matrix: FeatureMatrix = { data, rows, cols, names: [...names] };
  return {
    ...matrix,
    ...(extras.categories ? { categories: extras.categories } : {}),
    ...(extras.rowLabels ? { rowLabels: extras.rowLabels } : {}),
  };
}

/**
 * Codes a column of text values for a categorical column: each distinct value gets an index (in
 * first-seen order), `null` / `undefined` are missing (`NaN`).
 * @example categoricalCodes(['PhD', null, 'PhD']) // { codes: [0, NaN, 0], levels: ['PhD'] }
 */
export function categoricalCodes(values: ArrayLike<string | null | undefined>): { codes: Float64Array; levels: string[] } {
  const index = new Map<string, number>();
  const codes = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      codes[i] = Number.NaN;
      continue;
    }
    let code = index.get(value);
    if (code === undefined) {
      code = index.size;
      index.set(value, code);
    }
    codes[i] = code;
  }
  return { codes, levels: [...index.keys()] };
}

/** How a refusal names row `i`: the row's label (a profile id) when the matrix has them. */
export function rowName(matrix: Pick<FeatureMatrix, 'rowLabels'>, i: number): string {
  return matrix.rowLabels ? `profile ${matrix.rowLabels[i]}` : `row ${i}`;
}

/**
 * Builds a matrix from named columns of equal length (the shape SQL aggregates arrive in).
 * @throws {ClusteringException} `shape_mismatch` when columns differ in length.
 * @example featureMatrixFromColumns({ recency: [3, 40], monetary: [120.5, null] })
 */
export function featureMatrixFromColumns(columns: Readonly<Record<string, RawColumn>>): FeatureMatrix {
  const names = Object.keys(columns);
  if (names.length === 0) throw new ClusteringException('shape_mismatch', 'at least one feature is required', 'features');
  const rows = columns[names[0]].length;
  const cols = names.length;
  const data = new Float64Array(rows * cols);
  names.forEach((name, j) => {
    const column = columns[name];
    if (column.length !== rows) {
      throw new ClusteringException('shape_mismatch', `has ${column.length} values but ${names[0]} has ${rows}`, name);
    }
    for (let i = 0; i < rows; i++) data[i * cols + j] = column[i] ?? Number.NaN;
  });
  return featureMatrix(data, rows, names);
}

/** Builds a matrix from rows of values in `names` order. */
export function featureMatrixFromRows(rows: readonly RawColumn[], names: readonly string[]): FeatureMatrix {
  const cols = names.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new ClusteringException('shape_mismatch', `row ${i} has ${row.length} values, expected ${cols}`, 'data');
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j] ?? Number.NaN;
  });
  return featureMatrix(data, rows.length, names);
}

/** A new matrix holding the given rows (in the given order; repeats allowed, as in a bootstrap). */
export function selectRows<M extends MatrixLike>(matrix: M, indices: ArrayLike<number>): M {
  const { cols, data } = matrix;
  const picked = new Float64Array(indices.length * cols);
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r];
    if (!(from >= 0 && from < matrix.rows)) throw new ClusteringException('shape_mismatch', `row index ${from} is out of range`, 'indices');
    picked.set(data.subarray(from * cols, from * cols + cols), r * cols);
  }
  const withRows: M = { ...matrix, data: picked, rows: indices.length };
  const labels = (matrix as Partial<FeatureMatrix>).rowLabels;
  return labels ? { ...withRows, rowLabels: Array.from(indices, (from) => labels[from]) } : withRows;
}

/**
 * A new matrix with the named columns, in that order.
 * @throws {ClusteringException} `unknown_feature` for a name the matrix does not have.
 */
export function selectColumns(matrix: FeatureMatrix, names: readonly string[]): FeatureMatrix {
  const sources = names.map((name) => {
    const index = matrix.names.indexOf(name);
    if (index < 0) throw new ClusteringException('unknown_feature', `is not one of ${matrix.names.join(', ')}`, name);
    return index;
  });
  const data = new Float64Array(matrix.rows * names.length);
  for (let i = 0; i < matrix.rows; i++) {
    for (let j = 0; j < sources.length; j++) data[i * names.length + j] = matrix.data[i * matrix.cols + sources[j]];
  }
  return featureMatrix(data, matrix.rows, names, { categories: matrix.categories, rowLabels: matrix.rowLabels });
}
