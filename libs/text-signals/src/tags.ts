import { lemmaKey, words } from './lemma';

/** Operator-defined vocabularies: tag → terms, e.g. `{ 'price-sensitive': ['discount', 'cheap'] }`. */
export type Vocabularies = Readonly<Record<string, readonly string[]>>;

/**
 * Tags whose vocabulary has a term in `text`, in the vocabularies' order. Terms and text are
 * compared word by word on lemma keys (see `lemma.ts`), never as raw substrings: "discount" matches
 * "discounts" and "discounted" but not "discountable"; "price" matches "prices" but not "priceless".
 * A term of several words ("gift wrap", "eco-friendly") matches the same keys in a row. A term
 * with no word in it (empty, punctuation only) matches nothing.
 */
export function matchTags(text: string, vocabularies: Vocabularies): string[] {
  const keys = words(text).map(lemmaKey);
  return Object.entries(vocabularies)
    .filter(([, terms]) => terms.some((term) => containsRun(keys, words(term).map(lemmaKey))))
    .map(([tag]) => tag);
}

function containsRun(keys: readonly string[], run: readonly string[]): boolean {
  if (run.length === 0) return false;
  for (let start = 0; start + run.length <= keys.length; start += 1) {
    if (run.every((key, offset) => keys[start + offset] === key)) return true;
  }
  return false;
}
