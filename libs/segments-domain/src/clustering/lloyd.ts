import { type MatrixLike } from './feature-matrix';

/** Outcome of one Lloyd run from given initial centres. */
export interface LloydRun {
  labels: Int32Array;
  centroids: Float64Array;
  sizes: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
}

// Bound once: inside jest's vm sandbox a global (`Math`, `Infinity`) read in a hot loop is a slow lookup.
const { sqrt } = Math;
const FARTHEST = Number.POSITIVE_INFINITY;
/**
 * A bound test skips a row only when it holds with this relative margin, so rounding in the
 * accumulated bounds can never skip a row whose nearest centre changed, nor break a tie differently
 * from a full scan. Rows closer than that to a tie are simply rescanned.
 */
const SAFETY = 1 + 1e-9;

/** Cluster sums are recomputed from every row this often, so running updates cannot accumulate rounding. */
const RECOUNT_EVERY = 20;

/**
 * Lloyd's algorithm, accelerated with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"):
 * each row keeps an upper bound on the distance to its centre and a lower bound on the distance to
 * any other, moved by how far centres move; a row is rescanned only when the bounds cannot prove its
 * centre is still strictly the nearest. The bounds are exact reasoning (triangle inequality), and a
 * rescan breaks ties by the lowest cluster index as a plain scan does, so every iteration assigns the
 * same labels and computes the same centres as unaccelerated Lloyd — and as scikit-learn's `lloyd`.
 * Cluster sums follow the rows that change cluster and are recounted from scratch every
 * {@link RECOUNT_EVERY} iterations; they differ from a full recount only by rounding (about 1e-15).
 *
 * Each iteration: assign, compute means, relocate emptied clusters, stop on unchanged labels or a
 * summed squared centre shift ≤ `absoluteTolerance`.
 */
export function lloyd(matrix: MatrixLike, k: number, initial: Float64Array, maxIterations: number, absoluteTolerance: number): LloydRun {
  const d = matrix.cols;
  const state = newBoundsState(matrix.rows, k, d);
  let centroids = Float64Array.from(initial);
  let next = new Float64Array(k * d);
  const counts = new Float64Array(k);
  let iterations = 0;
  let converged = false;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const changed = assignWithBounds(matrix, centroids, k, state, iteration % RECOUNT_EVERY === 0 ? 'recount' : 'follow');
    // Relocation changes the next centres only (labels stay as assigned), so it works on copies.
    next.set(state.sums);
    counts.set(state.counts);
    relocateEmptyClusters(matrix, centroids, state.labels, next, counts);
    const shift = finishMeans(centroids, next, counts, k, d, state.moved);
    summariseMoves(state);
    [centroids, next] = [next, centroids];
    iterations = iteration + 1;
    if (changed === 0 || shift <= absoluteTolerance) {
      converged = true;
      break;
    }
  }
  // One more assignment so labels and inertia describe the final centres (as scikit-learn does).
  assignWithBounds(matrix, centroids, k, state, 'none');
  const { labels } = state;
  const sizes = new Int32Array(k);
  let inertia = 0;
  for (let i = 0; i < labels.length; i++) {
    sizes[labels[i]]++;
    inertia += squaredDistance(matrix.data, i * d, centroids, labels[i] * d, d);
  }
  return { labels, centroids, sizes, inertia, iterations, converged };
}

/**
 * Plain nearest-centre scan of every row (ties to the lower index); returns the inertia. Used to
 * assign profiles to stored centroids.
 */
export function assignRows(matrix: MatrixLike, centroids: Float64Array, k: number, labels: Int32Array): number {
  const { data, rows: n, cols: d } = matrix;
  const nearest = new Float64Array(2);
  let inertia = 0;
  for (let i = 0, offset = 0; i < n; i++, offset += d) {
    labels[i] = scanNearest(data, offset, centroids, k, d, nearest);
    inertia += nearest[0];
  }
  return inertia;
}

/**
 * Index of the centre nearest to the row at `offset` (ties to the lower index); writes the squared
 * distances to the nearest and second-nearest centre into `nearest[0]` and `nearest[1]`.
 *
 * Four centres are measured side by side: four independent sums let the CPU overlap the additions
 * (about twice as fast as one centre at a time), while each distance is still summed in feature
 * order, so every value, and therefore every tie-break, is the same as a one-by-one scan.
 */
export function scanNearest(
  data: Float64Array,
  offset: number,
  centroids: Float64Array,
  k: number,
  d: number,
  nearest: Float64Array,
): number {
  let best = 0;
  let bestDistance = FARTHEST;
  let secondDistance = FARTHEST;
  let c = 0;
  for (; c + 3 < k; c += 4) {
    const c0 = c * d;
    const c1 = c0 + d;
    const c2 = c1 + d;
    const c3 = c2 + d;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let j = 0; j < d; j++) {
      const x = data[offset + j];
      const e0 = x - centroids[c0 + j];
      const e1 = x - centroids[c1 + j];
      const e2 = x - centroids[c2 + j];
      const e3 = x - centroids[c3 + j];
      d0 += e0 * e0;
      d1 += e1 * e1;
      d2 += e2 * e2;
      d3 += e3 * e3;
    }
    // In index order, so the lowest index wins a tie exactly as in a one-by-one scan.
    if (d0 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d0;
      best = c;
    } else if (d0 < secondDistance) secondDistance = d0;
    if (d1 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d1;
      best = c + 1;
    } else if (d1 < secondDistance) secondDistance = d1;
    if (d2 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d2;
      best = c + 2;
    } else if (d2 < secondDistance) secondDistance = d2;
    if (d3 < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = d3;
      best = c + 3;
    } else if (d3 < secondDistance) secondDistance = d3;
  }
  for (; c < k; c++) {
    const distance = squaredDistance(data, offset, centroids, c * d, d);
    if (distance < bestDistance) {
      secondDistance = bestDistance;
      bestDistance = distance;
      best = c;
    } else if (distance < secondDistance) secondDistance = distance;
  }
  nearest[0] = bestDistance;
  nearest[1] = secondDistance;
  return best;
}

interface BoundsState {
  /** Cluster of each row; −1 before the first assignment. */
  labels: Int32Array;
  /** Upper bound on the distance from each row to its centre. */
  upper: Float64Array;
  /** Lower bound on the distance from each row to every other centre. */
  lower: Float64Array;
  /** Half the distance from each centre to its nearest other centre. */
  halfGap: Float64Array;
  /** Coordinate sums (k × d) and row counts of the clusters, for the current labels. */
  sums: Float64Array;
  counts: Float64Array;
  /**
   * How far each centre moved in the last update, the largest move, whose it was, and the second
   * largest: bounds are loosened by them lazily, row by row, in the next pass.
   */
  moved: Float64Array;
  largestMove: number;
  largestMover: number;
  secondLargestMove: number;
}

function newBoundsState(rows: number, k: number, d: number): BoundsState {
  return {
    labels: new Int32Array(rows).fill(-1),
    upper: new Float64Array(rows),
    lower: new Float64Array(rows),
    halfGap: new Float64Array(k),
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    moved: new Float64Array(k),
    largestMove: 0,
    largestMover: -1,
    secondLargestMove: 0,
  };
}

/**
 * How an assignment pass keeps the cluster sums: add every row from zero (`recount`), move only the
 * rows that changed cluster (`follow`), or leave them (`none`, the final pass).
 */
type SumsUpkeep = 'recount' | 'follow' | 'none';

/** Assigns every row, rescanning only rows the bounds cannot settle. Returns how many labels changed. */
function assignWithBounds(matrix: MatrixLike, centroids: Float64Array, k: number, state: BoundsState, upkeep: SumsUpkeep): number {
  const { data, rows: n, cols: d } = matrix;
  const { labels, upper, lower, halfGap, sums, counts, moved, largestMove, largestMover, secondLargestMove } = state;
  computeHalfGaps(centroids, k, d, halfGap);
  if (upkeep === 'recount') {
    sums.fill(0);
    counts.fill(0);
  }
  const follow = upkeep === 'follow';
  const recount = upkeep === 'recount';
  const nearest = new Float64Array(2);
  let changed = 0;
  for (let i = 0, offset = 0; i < n; i++, offset += d) {
    let label = labels[i];
    if (label >= 0) {
      // Since the last pass the row's centre is at most moved[label] farther, any other at most the largest other move closer.
      upper[i] += moved[label];
      lower[i] -= label === largestMover ? secondLargestMove : largestMove;
    }
    if (!rowIsSettled(data, offset, centroids, d, state, i, label)) {
      const best = scanNearest(data, offset, centroids, k, d, nearest);
      upper[i] = sqrt(nearest[0]);
      lower[i] = sqrt(nearest[1]);
      if (best !== label) {
        if (follow) moveRow(data, offset, d, sums, counts, label, best);
        labels[i] = label = best;
        changed++;
      }
    }
    if (recount) addRow(data, offset, d, sums, counts, label);
  }
  return changed;
}

function addRow(data: Float64Array, offset: number, d: number, sums: Float64Array, counts: Float64Array, cluster: number): void {
  counts[cluster]++;
  const target = cluster * d;
  for (let j = 0; j < d; j++) sums[target + j] += data[offset + j];
}

function moveRow(data: Float64Array, offset: number, d: number, sums: Float64Array, counts: Float64Array, from: number, to: number): void {
  counts[from]--;
  counts[to]++;
  const source = from * d;
  const target = to * d;
  for (let j = 0; j < d; j++) {
    sums[source + j] -= data[offset + j];
    sums[target + j] += data[offset + j];
  }
}

/**
 * True when the bounds prove the row's current centre is strictly the nearest: its distance (upper
 * bound, tightened once if needed) is below both half the gap to the nearest other centre and the
 * lower bound on every other centre's distance.
 */
function rowIsSettled(
  data: Float64Array,
  offset: number,
  centroids: Float64Array,
  d: number,
  state: BoundsState,
  i: number,
  label: number,
): boolean {
  if (label < 0) return false;
  const bound = state.halfGap[label] > state.lower[i] ? state.halfGap[label] : state.lower[i];
  if (state.upper[i] * SAFETY < bound) return true;
  state.upper[i] = sqrt(squaredDistance(data, offset, centroids, label * d, d));
  return state.upper[i] * SAFETY < bound;
}

function computeHalfGaps(centroids: Float64Array, k: number, d: number, halfGap: Float64Array): void {
  halfGap.fill(FARTHEST);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const gap = sqrt(squaredDistance(centroids, a * d, centroids, b * d, d)) / 2;
      if (gap < halfGap[a]) halfGap[a] = gap;
      if (gap < halfGap[b]) halfGap[b] = gap;
    }
  }
}

/** Turns sums into means in place; records each centre's move and returns the summed squared shift. */
function finishMeans(centroids: Float64Array, sums: Float64Array, counts: Float64Array, k: number, d: number, moved: Float64Array): number {
  let shift = 0;
  for (let c = 0; c < k; c++) {
    let centreShift = 0;
    for (let j = 0; j < d; j++) {
      const index = c * d + j;
      // A cluster can only stay empty if relocation emptied its donor; it then keeps its centre.
      sums[index] = counts[c] > 0 ? sums[index] / counts[c] : centroids[index];
      const delta = sums[index] - centroids[index];
      centreShift += delta * delta;
    }
    moved[c] = sqrt(centreShift);
    shift += centreShift;
  }
  return shift;
}

/** Records the largest centre move (and whose) and the second largest, for the lazy loosening of bounds. */
function summariseMoves(state: BoundsState): void {
  state.largestMove = 0;
  state.largestMover = -1;
  state.secondLargestMove = 0;
  state.moved.forEach((distance, c) => {
    if (distance > state.largestMove) {
      state.secondLargestMove = state.largestMove;
      state.largestMove = distance;
      state.largestMover = c;
    } else if (distance > state.secondLargestMove) {
      state.secondLargestMove = distance;
    }
  });
}

/**
 * An emptied cluster takes the row farthest from its (old) centre, farthest first, as scikit-learn's
 * `_relocate_empty_clusters_dense` does; the row leaves its previous cluster's sum. Labels are left
 * as assigned (the next assignment pass settles them), again as scikit-learn does.
 */
function relocateEmptyClusters(
  matrix: MatrixLike,
  oldCentroids: Float64Array,
  labels: Int32Array,
  sums: Float64Array,
  counts: Float64Array,
): void {
  const empty: number[] = [];
  counts.forEach((count, c) => count === 0 && empty.push(c));
  if (empty.length === 0) return;
  const d = matrix.cols;
  const distances = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) distances[i] = squaredDistance(matrix.data, i * d, oldCentroids, labels[i] * d, d);
  const farthest = Array.from(distances.keys())
    .sort((a, b) => distances[b] - distances[a] || a - b)
    .slice(0, empty.length);
  empty.forEach((cluster, e) => {
    const row = farthest[e];
    const previous = labels[row];
    for (let j = 0; j < d; j++) {
      sums[previous * d + j] -= matrix.data[row * d + j];
      sums[cluster * d + j] = matrix.data[row * d + j];
    }
    counts[previous]--;
    counts[cluster] = 1;
  });
}

export function squaredDistance(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, d: number): number {
  let distance = 0;
  for (let j = 0; j < d; j++) {
    const delta = a[aOffset + j] - b[bOffset + j];
    distance += delta * delta;
  }
  return distance;
}
