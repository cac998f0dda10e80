#!/usr/bin/python3
"""Upstream Python VADER's compound score for every sentence of the ground-truth files here, the
independent reference `npm run bench -- sentiment` compares the JavaScript port with.

Usage: /usr/bin/python3 make_python_reference.py (Debian python3-sklearn) <dir holding upstream vaderSentiment.py + its lexicons>
The directory is cjhutto/vaderSentiment at commit 44fc044cd877310ee8278a0eadf34bcd50d41d06, e.g.
  git -C <clone> show HEAD:vaderSentiment/vaderSentiment.py > DIR/vaderSentiment.py (and
  vader_lexicon.txt, emoji_utf8_lexicon.txt the same way).
Writes python-vader-compounds.tsv (file, id, compound) next to this script, and
python-vader-metrics.json: scikit-learn's accuracy and macro-F1 of those compounds' labels and of
the majority class, with the bench's rules (gold: mean rating > 0.05 positive, < -0.05 negative,
else neutral; predicted: compound >= 0.05 positive, <= -0.05 negative, else neutral), which the
bench checks its own metric code against.
"""
import json
import os
import sys
from collections import Counter

from sklearn.metrics import accuracy_score, f1_score

sys.path.insert(0, sys.argv[1])
from vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ['amazonReviewSnippets_GroundTruth.txt', 'movieReviewSnippets_GroundTruth.txt']

LABELS = ['negative', 'neutral', 'positive']


def gold(rating):
    return 'positive' if rating > 0.05 else 'negative' if rating < -0.05 else 'neutral'


def predicted(compound):
    return 'positive' if compound >= 0.05 else 'negative' if compound <= -0.05 else 'neutral'


analyzer = SentimentIntensityAnalyzer()
metrics = {}
with open(os.path.join(HERE, 'python-vader-compounds.tsv'), 'w', encoding='utf-8') as out:
    out.write('file\tid\tcompound\n')
    for name in FILES:
        truth, guesses = [], []
        with open(os.path.join(HERE, name), encoding='utf-8') as source:
            for line in source:
                parts = line.rstrip('\r\n').split('\t')
                if len(parts) < 3:
                    continue
                compound = analyzer.polarity_scores(parts[2])['compound']
                out.write('%s\t%s\t%r\n' % (name, parts[0], compound))
                truth.append(gold(float(parts[1])))
                guesses.append(predicted(compound))
        majority = [Counter(truth).most_common(1)[0][0]] * len(truth)
        metrics[name] = {
            'sentences': len(truth),
            'python_vader': {
                'accuracy': accuracy_score(truth, guesses),
                'macro_f1': f1_score(truth, guesses, labels=LABELS, average='macro', zero_division=0),
            },
            'majority': {
                'label': majority[0],
                'accuracy': accuracy_score(truth, majority),
                'macro_f1': f1_score(truth, majority, labels=LABELS, average='macro', zero_division=0),
            },
        }
with open(os.path.join(HERE, 'python-vader-metrics.json'), 'w', encoding='utf-8') as out:
    json.dump(metrics, out, indent=2)
    out.write('\n')
