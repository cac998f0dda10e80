// Accuracy and cost of libs/text-signals' sentiment scorer (issue #24) on the labelled review
// sentences of VADER's authors (bench/data/vader-ground-truth, SOURCE.md there).
//   npm run bench -- sentiment
// Gold label of a sentence: mean human rating (-4..+4) > 0.05 positive, < -0.05 negative, else
// neutral. Predicted: `scoreSentiment` (compound >= 0.05 positive, <= -0.05 negative, else neutral).
// Baselines in the same process: the majority class (accuracy ratio) and, for reference, upstream
// Python VADER's compounds (committed by make_python_reference.py with scikit-learn's metrics, which
// this bench's own metric code must reproduce on those compounds or it fails).
// Cost: µs per review event for scoreSentiment and matchTags, against parsing the same event with
// the tracking API's validator (parseTrackingMessage), what every ingested event already pays.
// Caveat: VADER's lexicon and rules are by the same authors as this data set; it is not independent.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrackingMessage } from '@audiencekit/ingestion';
import { compileVocabularies, matchTags, scoreSentiment, SentimentLabel, sentimentLabel } from '@audiencekit/text-signals';
import { printTable, timeIt } from './lib/report';

const DATA = path.join(__dirname, 'data', 'vader-ground-truth');
const FILES = ['amazonReviewSnippets_GroundTruth.txt', 'movieReviewSnippets_GroundTruth.txt'];
const LABELS: SentimentLabel[] = ['negative', 'neutral', 'positive'];

interface Sentence {
  id: string;
  rating: number;
  text: string;
}

const goldLabel = (rating: number): SentimentLabel => (rating > 0.05 ? 'positive' : rating < -0.05 ? 'negative' : 'neutral');

function readSentences(file: string): Sentence[] {
  return readFileSync(path.join(DATA, file), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.split('\t'))
    .filter((parts) => parts.length >= 3)
    .map(([id, rating, ...text]) => ({ id, rating: Number(rating), text: text.join('\t') }));
}

function metrics(truth: SentimentLabel[], guesses: SentimentLabel[]): { accuracy: number; macroF1: number } {
  let correct = 0;
  for (let i = 0; i < truth.length; i += 1) if (truth[i] === guesses[i]) correct += 1;
  const f1s = LABELS.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i += 1) {
      if (guesses[i] === label && truth[i] === label) tp += 1;
      else if (guesses[i] === label) fp += 1;
      else if (truth[i] === label) fn += 1;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return { accuracy: correct / truth.length, macroF1: f1s.reduce((a, b) => a + b, 0) / LABELS.length };
}

function majority(truth: SentimentLabel[]): SentimentLabel {
  const counts = new Map<SentimentLabel, number>();
  for (const label of truth) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

interface Reference {
  python_vader: { accuracy: number; macro_f1: number };
  majority: { label: SentimentLabel; accuracy: number; macro_f1: number };
}

function pythonCompounds(): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of readFileSync(path.join(DATA, 'python-vader-compounds.tsv'), 'utf8').split('\n').slice(1)) {
    const [file, id, compound] = line.split('\t');
    if (compound !== undefined) map.set(`${file}\t${id}`, Number(compound));
  }
  return map;
}

function checkAgainstSklearn(
  name: string,
  ours: { accuracy: number; macroF1: number },
  theirs: { accuracy: number; macro_f1: number },
): void {
  if (Math.abs(ours.accuracy - theirs.accuracy) > 1e-12 || Math.abs(ours.macroF1 - theirs.macro_f1) > 1e-12) {
    throw new Error(`${name}: this bench's metrics ${JSON.stringify(ours)} differ from scikit-learn's ${JSON.stringify(theirs)}`);
  }
}

async function main(): Promise<void> {
  const reference = JSON.parse(readFileSync(path.join(DATA, 'python-vader-metrics.json'), 'utf8')) as Record<string, Reference>;
  const python = pythonCompounds();
  const accuracyRows: Record<string, string | number>[] = [];
  const confusionRows: Record<string, string | number>[] = [];
  const all: Sentence[] = [];
  for (const file of FILES) {
    const sentences = readSentences(file);
    all.push(...sentences);
    const name = file.replace('ReviewSnippets_GroundTruth.txt', '');
    const truth = sentences.map((sentence) => goldLabel(sentence.rating));
    const port = sentences.map((sentence) => scoreSentiment(sentence.text).label);
    const upstream = sentences.map((sentence) => {
      const compound = python.get(`${file}\t${sentence.id}`);
      if (compound === undefined) throw new Error(`${file} ${sentence.id}: no Python reference compound`);
      return sentimentLabel(compound);
    });
    const top = majority(truth);
    const base = metrics(
      truth,
      truth.map(() => top),
    );
    const ours = metrics(truth, port);
    const upstreamMetrics = metrics(truth, upstream);
    checkAgainstSklearn(`${name} majority`, base, reference[file].majority);
    checkAgainstSklearn(`${name} python VADER`, upstreamMetrics, reference[file].python_vader);
    const disagree = port.filter((label, i) => label !== upstream[i]).length;
    const row = (scorer: string, m: { accuracy: number; macroF1: number }, note: string) =>
      accuracyRows.push({
        set: `${name} (${sentences.length})`,
        scorer,
        accuracy: m.accuracy,
        'macro-F1': m.macroF1,
        'accuracy / majority': (m.accuracy / base.accuracy).toFixed(3),
        'macro-F1 / majority': (m.macroF1 / base.macroF1).toFixed(3),
        note,
      });
    row(`majority (${top})`, base, 'baseline');
    row('scoreSentiment (vader-sentiment 1.1.3)', ours, `label differs from Python on ${disagree}`);
    row('upstream Python VADER (fixture)', upstreamMetrics, 'reference, not the product');
    for (const gold of LABELS) {
      const cells: Record<string, string | number> = { set: name, gold: `${gold} (${truth.filter((t) => t === gold).length})` };
      for (const guess of LABELS) cells[`→ ${guess}`] = truth.filter((t, i) => t === gold && port[i] === guess).length;
      confusionRows.push(cells);
    }
  }
  console.log('Accuracy: 3 classes, gold = mean rating > 0.05 / < -0.05; scorer = compound >= 0.05 / <= -0.05');
  printTable(accuracyRows);
  console.log('\nscoreSentiment confusion (rows gold, columns predicted)');
  printTable(confusionRows);

  // Cost per review event (the text of each sentence as `properties.text`).
  const vocabularies = {
    'price-sensitive': ['discount', 'cheap', 'price', 'coupon', 'sale', 'deal'],
    'eco-conscious': ['eco-friendly', 'recycled', 'sustainable', 'organic'],
    'gift buyer': ['gift', 'gift wrap', 'present', 'birthday'],
  };
  const raw = all.map((sentence, i) => ({
    type: 'track',
    event: 'Review Submitted',
    userId: `user-${i % 1000}`,
    messageId: `m-${i}`,
    timestamp: '2026-12-07T12:00:00.000Z',
    properties: { text: sentence.text, rating: 4 },
  }));
  const matcher = compileVocabularies(vocabularies);
  const context = { receivedAt: new Date(), checkSize: false };
  const passes = 3;
  const cost: Record<string, () => void> = {
    'parseTrackingMessage (baseline)': () => raw.forEach((message) => parseTrackingMessage(message, 'track', context)),
    scoreSentiment: () => all.forEach((sentence) => scoreSentiment(sentence.text)),
    'matchTags (3 vocabularies, 14 terms)': () => all.forEach((sentence) => matchTags(sentence.text, vocabularies)),
    'compiled matcher (same vocabularies)': () => all.forEach((sentence) => matcher.match(sentence.text)),
  };
  const costRows: Record<string, string | number>[] = [];
  let baselineUs = 0;
  for (const [label, work] of Object.entries(cost)) {
    work(); // warm-up (JIT), not timed
    const times: number[] = [];
    for (let pass = 0; pass < passes; pass += 1) times.push(await timeIt(work));
    const medianMs = times.sort((a, b) => a - b)[Math.floor(passes / 2)];
    const us = (medianMs * 1000) / all.length;
    if (baselineUs === 0) baselineUs = us;
    costRows.push({
      work: label,
      events: all.length,
      'median ms': medianMs,
      'µs / event': us,
      'ratio to parse': (us / baselineUs).toFixed(2),
    });
  }
  console.log(
    `\nCost per review event (median of ${passes} passes over every sentence; mean length ${Math.round(all.reduce((n, s) => n + s.text.length, 0) / all.length)} characters)`,
  );
  printTable(costRows);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
