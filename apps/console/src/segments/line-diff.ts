export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** Line diff by longest common subsequence (definitions are small: at most a few hundred lines). */
export function lineDiff(before: string[], after: string[]): DiffLine[] {
  const table = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      table[i][j] = before[i] === after[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      out.push({ kind: 'same', text: before[i] });
      i++;
      j++;
    } else if (i < before.length && (j === after.length || table[i + 1][j] >= table[i][j + 1])) {
      out.push({ kind: 'removed', text: before[i++] }); // removals first, as diffs read
    } else {
      out.push({ kind: 'added', text: after[j++] });
    }
  }
  return out;
}
