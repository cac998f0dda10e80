import { SentimentIntensityAnalyzer } from 'vader-sentiment';

export type SentimentLabel = 'positive' | 'neutral' | 'negative';

export interface Sentiment {
  /** VADER's normalised compound score, in [-1, 1]. */
  compound: number;
  label: SentimentLabel;
}

/**
 * VADER's standard thresholds (Hutto & Gilbert; the vaderSentiment README): compound >= 0.05 is
 * positive, <= -0.05 negative, anything between neutral.
 */
export const SENTIMENT_THRESHOLD = 0.05;

export function sentimentLabel(compound: number): SentimentLabel {
  if (compound >= SENTIMENT_THRESHOLD) return 'positive';
  if (compound <= -SENTIMENT_THRESHOLD) return 'negative';
  return 'neutral';
}

/**
 * Sentiment of an English text with VADER (package `vader-sentiment` 1.1.3, Apache-2.0: the
 * lexicon and rules are packaged, nothing is fetched at run time). Empty or blank text is neutral (0).
 */
export function scoreSentiment(text: string): Sentiment {
  if (text.trim() === '') return { compound: 0, label: 'neutral' };
  const { compound } = SentimentIntensityAnalyzer.polarity_scores(text);
  return { compound, label: sentimentLabel(compound) };
}
