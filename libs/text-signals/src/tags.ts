import { lemmaKey, words } from './lemma';

/** Operator-defined vocabularies: tag → terms, e.g. `{ 'price-sensitive': ['discount', 'cheap'] }`. */
export type Vocabularies = Readonly<Record<string, readonly string[]>>;

/** Vocabularies with every term reduced to lemma keys once, for matching many texts. */
export interface TagMatcher {
  /** The tags with a term in `text`, in the vocabularies' order (see `matchTags`). */
  match(text: string): string[];
}

/**
 * Compiles vocabularies for `match`: each term becomes its run of lemma keys, indexed by the
 * run's first key, so a text is scanned once whatever the number of terms.
 */
export function compileVocabularies(vocabularies: Vocabularies): TagMatcher {
  const tags = Object.keys(vocabularies);
  const byFirstKey = new Map<string, { tag: number; run: string[] }[]>();
  tags.forEach((tag, index) => {
    for (const term of vocabularies[tag]) {
      const run = words(term).map(lemmaKey);
      if (run.length === 0) continue;
      const entries = byFirstKey.get(run[0]) ?? [];
      entries.push({ tag: index, run });
      byFirstKey.set(run[0], entries);
    }
  });
  return {
    match(text: string): string[] {
      const keys = words(text).map(lemmaKey);
      const found = new Set<number>();
      keys.forEach((key, start) => {
        for (const { tag, run } of byFirstKey.get(key) ?? []) {
          if (!found.has(tag) && run.every((part, offset) => keys[start + offset] === part)) found.add(tag);
        }
      });
      return tags.filter((_tag, index) => found.has(index));
    },
  };
}

/**
 * Tags whose vocabulary has a term in `text`, in the vocabularies' order. Terms and text are
 * compared word by word on lemma keys (see `lemma.ts`), never as raw substrings: "discount" matches
 * "discounts" and "discounted" but not "discountable"; "price" matches "prices" but not "priceless".
 * A term of several words ("gift wrap", "eco-friendly") matches the same keys in a row. A term
 * with no word in it (empty, punctuation only) matches nothing. For many texts, compile the
 * vocabularies once with `compileVocabularies`.
 */
export function matchTags(text: string, vocabularies: Vocabularies): string[] {
  return compileVocabularies(vocabularies).match(text);
}
