/**
 * A small rule-based English lemmatiser for matching vocabulary terms against free text. It knows
 * plural nouns and the verb forms -s, -ed and -ing, plus a short table of irregular forms; it has
 * no dictionary, so it is applied to **both** sides (the text and the vocabulary terms) and two
 * words match when their keys are equal. The rules, in order, on a lower-cased word:
 *
 * 1. Irregular forms from `IRREGULAR` (bought → buy, children → child, was → be, …).
 * 2. Words of 3 letters or fewer are kept as they are (bus, gas, red, was handled by 1).
 * 3. Plurals and third person -s:
 *    - `-ies` → `-y` when 5+ letters (cities → city, tries → try);
 *    - `-sses`, `-xes`, `-zes`, `-ches`, `-shes` lose `-es` (glasses → glass, boxes → box);
 *    - a final `-s` is dropped unless the word ends in `-ss`, `-us` or `-is` (coupons → coupon,
 *      prices → price; glass, bonus, analysis kept).
 * 4. Past and participle: `-ied` → `-y` (tried → try); words ending `-eed` are kept (need, speed;
 *    so "agreed" is not "agree", a known gap); otherwise `-ed` and `-ing` are dropped when what is
 *    left has 3+ letters and a vowel (discounted → discount, shopping → shopp; "thing", "bring",
 *    "red" kept), then a doubled final consonant other than l, s, z is undoubled (shopp → shop,
 *    dropped → drop; called, missed kept).
 * 5. The key drops a final single `e` of a word of 4+ letters (price → pric, saving → sav,
 *    save → sav), because whether the base form had one cannot be known without a dictionary.
 *
 * So price, prices, priced and pricing share one key, and priceless, pricey and pricelist do not.
 * Not handled: adverbs and adjectives (-ly, -er, -est), prefixes, spelling variants, negation
 * ("not cheap" still contains "cheap").
 */
const IRREGULAR: Readonly<Record<string, string>> = {
  am: 'be',
  are: 'be',
  is: 'be',
  was: 'be',
  were: 'be',
  been: 'be',
  has: 'have',
  had: 'have',
  does: 'do',
  did: 'do',
  done: 'do',
  went: 'go',
  gone: 'go',
  got: 'get',
  gotten: 'get',
  bought: 'buy',
  paid: 'pay',
  spent: 'spend',
  sold: 'sell',
  gave: 'give',
  given: 'give',
  took: 'take',
  taken: 'take',
  made: 'make',
  ate: 'eat',
  eaten: 'eat',
  ran: 'run',
  brought: 'bring',
  thought: 'think',
  found: 'find',
  left: 'leave',
  children: 'child',
  men: 'man',
  women: 'woman',
  people: 'person',
  feet: 'foot',
  teeth: 'tooth',
  mice: 'mouse',
  knives: 'knife',
  lives: 'life',
  wives: 'wife',
  shelves: 'shelf',
};

const VOWEL = /[aeiouy]/;
const UNDOUBLED_EXCEPTIONS = new Set(['l', 's', 'z']);

/** The lemma of one lower-case word by rules 1–4 (see the module comment). */
export function lemmatise(word: string): string {
  const lower = word.toLowerCase();
  const irregular = IRREGULAR[lower];
  if (irregular !== undefined) return irregular;
  if (lower.length <= 3) return lower;
  if (lower.endsWith('ies') && lower.length >= 5) return `${lower.slice(0, -3)}y`;
  if (/(?:ss|x|z|ch|sh)es$/.test(lower)) return lower.slice(0, -2);
  if (lower.endsWith('s')) return /(?:ss|us|is)$/.test(lower) ? lower : lower.slice(0, -1);
  if (lower.endsWith('ied') && lower.length >= 5) return `${lower.slice(0, -3)}y`;
  if (lower.endsWith('eed')) return lower;
  const suffix = lower.endsWith('ed') ? 2 : lower.endsWith('ing') ? 3 : 0;
  if (suffix === 0) return lower;
  const stem = lower.slice(0, -suffix);
  if (stem.length < 3 || !VOWEL.test(stem)) return lower;
  const last = stem[stem.length - 1];
  if (last === stem[stem.length - 2] && !VOWEL.test(last) && !UNDOUBLED_EXCEPTIONS.has(last)) return stem.slice(0, -1);
  return stem;
}

/** The matching key of a word: its lemma without a final single `e` (rule 5). */
export function lemmaKey(word: string): string {
  const lemma = lemmatise(word);
  return lemma.length >= 4 && lemma.endsWith('e') && !lemma.endsWith('ee') ? lemma.slice(0, -1) : lemma;
}

/**
 * Lower-case words of a text: runs of letters and digits, with an apostrophe inside a word kept
 * (don't) and a possessive `'s` dropped (customer's → customer). Hyphens and other punctuation
 * separate words, so "eco-friendly" is two words.
 */
export function words(text: string): string[] {
  const found =
    text
      .toLowerCase()
      .replace(/[\u2018\u2019]/g, "'")
      .match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? [];
  return found.map((word) => (word.endsWith("'s") ? word.slice(0, -2) : word));
}
