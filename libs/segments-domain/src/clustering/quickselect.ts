/**
 * Hoare quickselect with a median-of-three pivot: afterwards a[lo..k−1] ≤ a[k] ≤ a[k+1..hi], and
 * a[k] is what a full sort would put there. Used for medians (preprocessing) and the order
 * statistics of decile edges (drift), in place of sorting the whole column.
 */
export function quickselect(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const swap = a[i];
        a[i] = a[j];
        a[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
