"""Entity embeddings at scale: time and peak memory on a synthetic table.

A binary table of ``--rows`` rows: a string column of Zipf-distributed names
("gamma 1234"; 51,684 distinct at a million rows), a 50-value column,
a 5-value column with missing values, a log-normal and a normal number (10 %
missing).  The target depends on the names, the 50-value column and the
log of the first number.  Prints the seconds of
``EntityEmbeddingEncoder().fit_transform`` on the three categorical columns or
of ``EntityEmbeddingClassifier().fit`` on all five, and the process's peak
resident memory (run one model per process: the peak is the process's).

Usage::

    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --model encoder
    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --model classifier
"""

import argparse
import resource
import time

import numpy as np
import pandas as pd

from skembed import EntityEmbeddingClassifier, EntityEmbeddingEncoder


def table(n, seed=0):
    rng = np.random.RandomState(seed)
    k = rng.zipf(1.3, n) % 200_000
    words = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma"])
    name = pd.Series(words[k % 6]).str.cat(pd.Series(k.astype(str)), sep=" ")
    X = pd.DataFrame({
        "name": name.astype(object),
        "city": rng.randint(0, 50, n).astype(str).astype(object),
        "kind": pd.Series(rng.choice(["a", "b", "c", "d", None], n), dtype=object),
        "x1": rng.lognormal(0, 1, n), "x2": rng.normal(size=n)})
    X.loc[rng.rand(n) < 0.1, "x2"] = np.nan
    logit = (k % 7 == 0) * 1.5 + (X.city.astype(int) % 5 == 0) - 3 + 0.3 * np.log(X.x1)
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--model", choices=["encoder", "classifier"], default="encoder")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    X, y = table(args.rows)
    print(f"{args.rows:,} rows, {X['name'].nunique():,} distinct names, "
          f"{y.mean():.1%} positive", flush=True)
    t0 = time.perf_counter()
    if args.model == "encoder":
        Z = EntityEmbeddingEncoder(random_state=0, n_jobs=args.n_jobs).fit_transform(
            X[["name", "city", "kind"]], y)
        detail = f"{Z.shape[1]} columns"
    else:
        clf = EntityEmbeddingClassifier(random_state=0, n_jobs=args.n_jobs).fit(X, y)
        detail = f"{clf.n_networks_} network(s), {clf.n_iter_} epochs"
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f"{args.model}: {seconds:.1f} s ({detail}), peak memory {peak:.2f} GiB")


if __name__ == "__main__":
    main()
