export { SENTIMENT_THRESHOLD, scoreSentiment, sentimentLabel } from './sentiment';
export type { Sentiment, SentimentLabel } from './sentiment';
export { lemmaKey, lemmatise, words } from './lemma';
export { compileVocabularies, matchTags } from './tags';
export type { TagMatcher, Vocabularies } from './tags';
