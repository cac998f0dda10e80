import { mulberry32 } from '@audiencekit/testing';
import vectors from '../../fixtures/hash-vectors.json';
import { FNV1A32_OFFSET_BASIS, fmix32, fnv1a32, fnv1a32Update } from './fnv1a';

/** The slow, obviously correct version: FNV-1a over the bytes TextEncoder produces. */
function referenceFnv1a32(text: string): number {
  let hash = FNV1A32_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) hash = Number((BigInt(hash ^ byte) * 0x01000193n) % 0x100000000n) >>> 0;
  return hash;
}

function randomText(random: () => number): string {
  // Mostly ASCII, with 2- and 3-byte characters, surrogate pairs and the odd lone surrogate.
  const pieces = ['a', 'Z', '0', '-', ':', 'é', 'ß', '中', '€', '😀', '𝔘', '\ud800', '\udfff', '\u07ff', '\u0800', '\uffff'];
  const length = Math.floor(random() * 24);
  let text = '';
  for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

describe('fnv1a32', () => {
  it.each(vectors.fnv1aPublished)('matches the published FNV-1a 32-bit vector for "$input"', ({ input, fnv1a32: expected }) => {
    expect(fnv1a32(input)).toBe(expected);
  });

  it('encodes UTF-8 exactly as TextEncoder does, including surrogate pairs and lone surrogates (as U+FFFD)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 3_000; i++) {
      const text = randomText(random);
      expect([text, fnv1a32(text)]).toEqual([text, referenceFnv1a32(text)]);
    }
  });

  it('continues a hash: hashing a then b equals hashing a + b', () => {
    expect(fnv1a32Update(fnv1a32Update(FNV1A32_OFFSET_BASIS, 'activation-42:'), 'profile-😀')).toBe(fnv1a32('activation-42:profile-😀'));
  });
});

describe('fmix32', () => {
  it('is a bijection on a sample (distinct inputs, distinct outputs) and fixes 0', () => {
    const outputs = new Set<number>();
    for (let i = 0; i < 100_000; i++) outputs.add(fmix32(i * 2654435761));
    expect(outputs.size).toBe(100_000);
    expect(fmix32(0)).toBe(0);
  });
});
