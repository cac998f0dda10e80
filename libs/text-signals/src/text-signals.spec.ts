import { compileVocabularies, lemmaKey, lemmatise, matchTags, scoreSentiment, sentimentLabel, words } from './index';

describe('scoreSentiment', () => {
  it('labels clear texts by VADER compound', () => {
    expect(scoreSentiment('I love this jacket, it is great!').label).toBe('positive');
    expect(scoreSentiment('Terrible quality, it broke after a day. Awful.').label).toBe('negative');
    expect(scoreSentiment('The parcel arrived on Tuesday.')).toEqual({ compound: 0, label: 'neutral' });
  });

  it('applies VADER negation and intensity rules, not word counts', () => {
    expect(scoreSentiment('not good').label).toBe('negative');
    expect(scoreSentiment('VERY GOOD!!!').compound).toBeGreaterThan(scoreSentiment('very good').compound);
  });

  it('scores empty and blank text as neutral 0', () => {
    expect(scoreSentiment('')).toEqual({ compound: 0, label: 'neutral' });
    expect(scoreSentiment('  \n ')).toEqual({ compound: 0, label: 'neutral' });
  });

  it('uses the standard +-0.05 thresholds, inclusive', () => {
    expect(sentimentLabel(0.05)).toBe('positive');
    expect(sentimentLabel(0.0499)).toBe('neutral');
    expect(sentimentLabel(-0.0499)).toBe('neutral');
    expect(sentimentLabel(-0.05)).toBe('negative');
  });
});

describe('lemmatise and lemmaKey', () => {
  it.each([
    ['coupons', 'coupon'],
    ['discounts', 'discount'],
    ['discounted', 'discount'],
    ['discounting', 'discount'],
    ['cities', 'city'],
    ['tries', 'try'],
    ['tried', 'try'],
    ['glasses', 'glass'],
    ['boxes', 'box'],
    ['watches', 'watch'],
    ['shopping', 'shop'],
    ['dropped', 'drop'],
    ['called', 'call'],
    ['missed', 'miss'],
    ['bought', 'buy'],
    ['children', 'child'],
    ['glass', 'glass'],
    ['bonus', 'bonus'],
    ['analysis', 'analysis'],
    ['thing', 'thing'],
    ['bring', 'bring'],
    ['need', 'need'],
    ['bus', 'bus'],
    ['red', 'red'],
  ])('%s → %s', (word, lemma) => {
    expect(lemmatise(word)).toBe(lemma);
  });

  it('gives a base form and its -s, -ed and -ing forms one key (the final e dropped)', () => {
    const keys = ['price', 'prices', 'priced', 'pricing', 'PRICE'].map(lemmaKey);
    expect(new Set(keys)).toEqual(new Set(['pric']));
    expect(['save', 'saves', 'saved', 'saving'].map(lemmaKey)).toEqual(['sav', 'sav', 'sav', 'sav']);
    expect(lemmaKey('free')).toBe('free');
  });

  it('keeps derived words apart from their base', () => {
    expect(lemmaKey('priceless')).not.toBe(lemmaKey('price'));
    expect(lemmaKey('pricey')).not.toBe(lemmaKey('price'));
    expect(lemmaKey('discountable')).not.toBe(lemmaKey('discount'));
  });
});

describe('words', () => {
  it('splits on punctuation and hyphens, keeps inner apostrophes, drops possessive s', () => {
    expect(words("Don't buy the customer's eco-friendly bag—£20!")).toEqual([
      "don't",
      'buy',
      'the',
      'customer',
      'eco',
      'friendly',
      'bag',
      '20',
    ]);
    expect(words('It’s fine')).toEqual(['it', 'fine']);
  });
});

describe('matchTags', () => {
  const vocabularies = {
    'price-sensitive': ['discount', 'cheap', 'price', 'coupon'],
    'eco-conscious': ['eco-friendly', 'recycled', 'sustainable'],
    'gift buyer': ['gift wrap', 'present', 'birthday'],
  };

  it('matches plurals and verb forms of the terms', () => {
    expect(matchTags('Any coupons or discounts next month?', vocabularies)).toEqual(['price-sensitive']);
    expect(matchTags('I waited until it was discounted.', vocabularies)).toEqual(['price-sensitive']);
    expect(matchTags('Prices went up again', vocabularies)).toEqual(['price-sensitive']);
  });

  it('does not match raw substrings', () => {
    expect(matchTags('The service was priceless', vocabularies)).toEqual([]);
    expect(matchTags('Cheapskate neighbours, recyclable? unsustainable!', vocabularies)).toEqual([]);
    expect(matchTags('They represent the brand well', vocabularies)).toEqual([]);
  });

  it('matches a term of several words only as consecutive words', () => {
    expect(matchTags('Can you gift-wrap it? Made of recycled cotton.', vocabularies)).toEqual(['eco-conscious', 'gift buyer']);
    expect(matchTags('A gift, but the wrap was torn', vocabularies)).toEqual([]);
    expect(matchTags('An Eco Friendly bag for her birthday', vocabularies)).toEqual(['eco-conscious', 'gift buyer']);
  });

  it('returns tags in the vocabularies order, each once, and ignores empty terms', () => {
    expect(matchTags('cheap cheap birthday present, recycled', vocabularies)).toEqual(['price-sensitive', 'eco-conscious', 'gift buyer']);
    expect(matchTags('anything at all', { empty: ['', ' - '] })).toEqual([]);
    expect(matchTags('', vocabularies)).toEqual([]);
  });

  it('compiles vocabularies once and matches many texts the same way', () => {
    const matcher = compileVocabularies({
      gift: ['gift wrap', 'gift card'],
      wrap: ['wrap'],
      card: ['gift card holder'],
    });
    expect(matcher.match('a gift card, gift wrapped')).toEqual(['gift', 'wrap']);
    expect(matcher.match('the gift card holder')).toEqual(['gift', 'card']);
    expect(matcher.match('a gift')).toEqual([]);
    const texts = ['Any coupons?', 'priceless', 'gift-wrap it, recycled', 'A gift, but the wrap was torn', ''];
    const compiled = compileVocabularies(vocabularies);
    expect(texts.map((text) => compiled.match(text))).toEqual(texts.map((text) => matchTags(text, vocabularies)));
    expect(texts.map((text) => compiled.match(text))).toEqual([['price-sensitive'], [], ['eco-conscious', 'gift buyer'], [], []]);
  });
});
