"""Entity embeddings at scale: time and peak memory on a synthetic table.

A binary table of ``--rows`` rows: a string column of Zipf-distributed names
("gamma 1234"; 51,684 distinct at a million rows), a 50-value column,
a 5-value column with missing values, a log-normal and a normal number (10 %
missing).  The target depends on the names, the 50-value column and the
log of the first number.  Prints the seconds of
``EntityEmbeddingEncoder().fit_transform`` on the three categorical columns or
of ``EntityEmbeddingClassifier().fit`` on all five, and the process's peak
resident memory (run one model per process: the peak is the process's).

``--table texts``: a multiclass table (7 classes) shaped like a log of traffic
violations: a description of 7-14 words out of 40,000 Zipf-distributed ones, a
location of 2-4 words (20,000), a make (400, 5 % missing), a state (60), two
small columns (one with missing values) and three numbers.  The models there
are pipelines fitted on 80 % of the rows and scored (accuracy) on the rest:
``--model encoder+hgb`` (the encoder on the six string columns, the numbers
passed through, ``HistGradientBoostingClassifier``), ``--model target+hgb``
(``TargetEncoder`` instead: the cost the issue compares with) and
``--model classifier``.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --model encoder
    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --model classifier
    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --table texts --model target+hgb
    OMP_NUM_THREADS=2 python benchmarks/entity_scale.py --table texts --model encoder+hgb
"""

import argparse
import resource
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from tabular import target_encoder  # benchmarks/tabular.py

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


TEXT_COLUMNS = ["description", "location", "make", "state", "gender", "race"]


def text_table(n, seed=0):
    """The multiclass table of ``--table texts`` (module docstring)."""
    rng = np.random.RandomState(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = np.array(["".join(rng.choice(letters, rng.randint(3, 10))) for _ in range(3000)])

    def texts(k, length):
        return np.array([" ".join(rng.choice(words, rng.randint(length // 2, length)))
                         for _ in range(k)], dtype=object)

    desc, loc = texts(40_000, 14), texts(20_000, 4)
    make = np.array([f"MAKE{i}" for i in range(400)], dtype=object)
    state = np.array([f"S{i}" for i in range(60)], dtype=object)

    def zipf(k):
        return np.minimum(rng.zipf(1.3, n) - 1, k - 1)

    di, li, mi, si = zipf(len(desc)), zipf(len(loc)), zipf(len(make)), rng.randint(0, 60, n)
    X = pd.DataFrame({
        "description": desc[di], "location": loc[li], "make": make[mi], "state": state[si],
        "gender": pd.Series(rng.choice(["M", "F", None], n), dtype=object),
        "race": rng.choice(list("ABCDEF"), n).astype(object),
        "year": rng.randint(1990, 2020, n).astype(float), "lat": rng.randn(n),
        "lon": rng.randn(n)})
    X.loc[rng.rand(n) < 0.05, "make"] = None
    logits = np.stack([np.sin(di * 0.37 + k) + 0.5 * np.cos(mi * 1.3 * k)
                       + 0.3 * (si % (k + 2)) for k in range(7)], axis=1)
    y = (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)
    return X, y


def texts_run(args):
    X, y = text_table(args.rows)
    print(f"{args.rows:,} rows, {X['description'].nunique():,} distinct descriptions, "
          f"{len(np.unique(y))} classes", flush=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    hgb = HistGradientBoostingClassifier(random_state=0)
    if args.model == "classifier":
        model = EntityEmbeddingClassifier(categorical_features=TEXT_COLUMNS, random_state=0,
                                          n_jobs=args.n_jobs)
    else:
        encoder = (target_encoder(0, continuous=False) if args.model == "target+hgb" else
                   EntityEmbeddingEncoder(random_state=0, n_jobs=args.n_jobs))
        model = make_pipeline(ColumnTransformer([("cat", encoder, TEXT_COLUMNS)],
                                                remainder="passthrough"), hgb)
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    seconds = time.perf_counter() - t0
    accuracy = float((model.predict(Xte) == yte).mean())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f"{args.model}: fit {seconds:.1f} s, test accuracy {accuracy:.4f}, "
          f"peak memory {peak:.2f} GiB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--table", choices=["names", "texts"], default="names")
    ap.add_argument("--model", choices=["encoder", "classifier", "encoder+hgb", "target+hgb"],
                    default="encoder")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    if args.table == "texts":
        return texts_run(args)
    if args.model not in ("encoder", "classifier"):
        ap.error("--model encoder+hgb and target+hgb go with --table texts")
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
