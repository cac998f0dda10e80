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
export function featureMatrix(data: Float64Array, rows: number, names: readonly string[]): FeatureMatrix {
  const cols = names.length;
  if (cols === 0) throw new ClusteringException('shape_mismatch', 'at least one feature is required', 'features');
  if (!Number.isInteger(rows) || rows < 0 || data.length !== rows * cols) {
    throw new ClusteringException('shape_mismatch', `expected ${rows} × ${cols} = ${rows * cols} values, got ${data.length}`, 'data');
  }
  if (new Set(names).size !== cols) throw new ClusteringException('shape_mismatch', 'feature names must be unique', 'features');
  return { data, rows, cols, names: [...names] };
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
  return { ...matrix, data: picked, rows: indices.length };
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
  return featureMatrix(data, matrix.rows, names);
}
