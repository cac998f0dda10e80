#!/usr/bin/python3
"""Reference timings for bench/models.bench.ts, run with Debian's /usr/bin/python3 (python3-sklearn,
python3-scipy, python3-pandas). Prints one JSON object on stdout; only the fits are timed.

    /usr/bin/python3 bench/lib/models-reference.py logistic X.f64 y.f64 ROWS COLS
        scikit-learn's LogisticRegression on the matrix the bench wrote (raw little-endian float64,
        row-major; the outcome 0/1 as float64): newton-cholesky at tol 1e-10 (the product's stopping
        rule, see below) and, for reference, scikit-learn's default solver (lbfgs, tol 1e-4).
    /usr/bin/python3 bench/lib/models-reference.py clv online_retail.csv
        the CLV fixture script's preparation and fit (libs/segments-domain/fixtures/clv/make_clv_fixture.py,
        imported, so its committed output is not rewritten) on the given file.

The product's Newton solver stops when max |gradient of C·Σ logloss + ½‖w‖²| ÷ (C · rows) ≤ 1e-10.
scikit-learn 1.2's newton-cholesky minimises the same objective divided by C · rows and stops when
max |gradient| ≤ tol (and half the squared Newton decrement ≤ tol), so tol = 1e-10 is the same rule.
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def logistic(x_path, y_path, rows, cols):
    import sklearn
    from sklearn.linear_model import LogisticRegression

    X = np.fromfile(x_path, dtype='<f8').reshape(rows, cols)
    y = np.fromfile(y_path, dtype='<f8')
    out = {'sklearn': sklearn.__version__, 'numpy': np.__version__}
    for name, options in (
        ('newton-cholesky', {'solver': 'newton-cholesky', 'tol': 1e-10, 'max_iter': 100}),
        ('lbfgs-default', {}),
    ):
        model = LogisticRegression(penalty='l2', C=1.0, **options)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        out[name] = {
            'ms': seconds * 1000,
            'iterations': int(np.max(model.n_iter_)),
            'coefficients': [float(v) for v in model.coef_[0]],
            'intercept': float(model.intercept_[0]),
        }
    return out


def clv(csv_path):
    sys.path.insert(0, os.path.join(HERE, '../../libs/segments-domain/fixtures/clv'))
    import make_clv_fixture as fixture

    start = time.perf_counter()
    customers, _ = fixture.customer_summary(csv_path)
    prepare_ms = (time.perf_counter() - start) * 1000
    x = np.array([c['frequency'] for c in customers], dtype=float)
    tx = np.array([c['recency'] for c in customers], dtype=float)
    T = np.array([c['T'] for c in customers], dtype=float)
    m = np.array([c['monetary'] for c in customers], dtype=float)
    repeat = x > 0

    # As the fixture script fits: BFGS finished by a root solve, from two starts (the second a check).
    start = time.perf_counter()
    bg, bg_ll, _, _ = fixture.fit(fixture.bgnbd_mean_nll_and_grad, (x, tx, T), [1, 1, 1, 1], [0.5, 20, 0.5, 2])
    gg, gg_ll, _, _ = fixture.fit(fixture.gg_mean_nll_and_grad, (x[repeat], m[repeat]), [1, 1, 1], [5, 3, 20])
    two_starts_ms = (time.perf_counter() - start) * 1000
    # One start only (what a single fit costs).
    start = time.perf_counter()
    fixture.solve(fixture.bgnbd_mean_nll_and_grad, (x, tx, T), [1, 1, 1, 1])
    fixture.solve(fixture.gg_mean_nll_and_grad, (x[repeat], m[repeat]), [1, 1, 1])
    one_start_ms = (time.perf_counter() - start) * 1000
    return {
        'customers': len(customers),
        'repeatCustomers': int(repeat.sum()),
        'prepareMs': prepare_ms,
        'twoStartsMs': two_starts_ms,
        'oneStartMs': one_start_ms,
        'bgnbd': {'r': bg[0], 'alpha': bg[1], 'a': bg[2], 'b': bg[3], 'logLikelihood': bg_ll},
        'gammaGamma': {'p': gg[0], 'q': gg[1], 'v': gg[2], 'logLikelihood': gg_ll},
    }


def main():
    mode = sys.argv[1]
    if mode == 'logistic':
        result = logistic(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif mode == 'clv':
        result = clv(sys.argv[2])
    else:
        raise SystemExit(f'unknown mode {mode}')
    json.dump(result, sys.stdout, default=float)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
