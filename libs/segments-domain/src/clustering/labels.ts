import { ClusteringException } from './clustering.exception';

/** Labels renumbered 0..count−1 in order of first appearance, so any integer labelling can be used. */
export function denseLabels(labels: ArrayLike<number>, field = 'labels'): { labels: Int32Array; count: number } {
  const codes = new Map<number, number>();
  const dense = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label)) throw new ClusteringException('invalid_labels', `label ${i} is ${label}, not an integer`, field);
    let code = codes.get(label);
    if (code === undefined) {
      code = codes.size;
      codes.set(label, code);
    }
    dense[i] = code;
  }
  return { labels: dense, count: codes.size };
}
