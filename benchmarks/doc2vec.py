"""skembed Doc2VecTransformer vs gensim Doc2Vec on IMDB sentiment, in one run.

The Large Movie Review Dataset (Maas et al. 2011): both libraries learn
paragraph vectors from the 25,000 labelled training reviews and the 50,000
unlabelled ones, then infer the vectors of the 25,000 test reviews
(gensim: ``infer_vector`` in a loop; skembed: ``transform``).  A
``LogisticRegression`` (``C`` in 0.001 .. 1000 chosen by 3-fold search on the
training vectors) is trained on the trained vectors of the labelled training reviews
and scored on the inferred test vectors: what a Pipeline of the two does.
A second accuracy (B) trains it on inferred vectors of the training reviews
instead (gensim's trained and inferred vectors differ in distribution, so
it gains there); a third (C) scales every row to unit length first
(``Doc2VecTransformer``'s default ``norm="l2"``).  With the common settings
skembed infers with the fit's epochs and returns unscaled vectors, as
gensim.

Both libraries get the same token lists (skembed's default tokenizer:
lowercase, words of two or more letters or digits, ``<br />`` removed by the
loader); tokenizing is not timed.  Every fit runs in its own subprocess;
the libraries alternate within each repeat and medians are reported, with
the speed ratios of each repeat.

Usage::

    python benchmarks/doc2vec.py --data ../shared/data --repeats 3
    python benchmarks/doc2vec.py --data ../shared/data --libs skembed-default

Libraries: ``gensim`` and ``skembed`` with the settings below (PV-DBOW;
``--params '{"dm": 1}'`` for PV-DM), ``skembed-default``: ``Doc2VecTransformer()`` with its
own defaults (only ``n_jobs`` and ``random_state`` set).  ``--max-reviews``
keeps a share of every folder (quick runs).  Needs gensim
(``pip install -e .[bench]``).
"""

import argparse
import json
import os
import pickle
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# the settings of the comparison (gensim's names; gensim's default is dm=1, PV-DM)
COMMON = dict(dm=0, vector_size=100, window=5, negative=5, hs=0, min_count=2, sample=1e-3,
              epochs=10, alpha=0.025, min_alpha=1e-4)
TOKEN = re.compile(r"(?u)\b\w\w+\b")


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tokenized(data, max_reviews):
    """Token lists of the five folders, cached next to the system's temporary
    files (tokens interned: one string object per distinct word)."""
    cache = Path(tempfile.gettempdir()) / f"skembed-imdb-tokens-{max_reviews or 'all'}.pkl"
    if cache.exists():
        with open(cache, "rb") as f:
            return pickle.load(f)
    from skembed.datasets import load_imdb

    reviews = load_imdb(data, max_reviews)
    table = {}
    out = {folder: [[table.setdefault(t, t) for t in TOKEN.findall(text.lower())]
                    for text in texts] for folder, texts in reviews.items()}
    with open(cache, "wb") as f:
        pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def unit(X):
    lengths = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, lengths, out=np.zeros_like(X), where=lengths > 0)


def split(folders):
    train = folders["train/pos"] + folders["train/neg"]
    y_train = np.r_[np.ones(len(folders["train/pos"])), np.zeros(len(folders["train/neg"]))]
    test = folders["test/pos"] + folders["test/neg"]
    y_test = np.r_[np.ones(len(folders["test/pos"])), np.zeros(len(folders["test/neg"]))]
    return train, y_train, test, y_test, folders["train/unsup"]


def accuracy(X_train, y_train, X_test, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(LogisticRegression(max_iter=2000), {"C": np.logspace(-3, 3, 7)},
                          cv=3)
    search.fit(X_train, y_train)
    return float(search.score(X_test, y_test)), float(search.best_params_["C"])


def worker(args):
    folders = tokenized(args.data, args.max_reviews)
    train, y_train, test, y_test, unsup = split(folders)
    corpus = train + unsup
    n_tokens = sum(map(len, corpus))
    params = dict(COMMON, **json.loads(args.params))
    baseline = rss_mb()
    out = dict(lib=args.lib, threads=args.threads, documents=len(corpus), tokens=n_tokens,
               params=params)
    if args.lib == "gensim":
        from gensim.models.doc2vec import Doc2Vec, TaggedDocument

        tagged = [TaggedDocument(words, [i]) for i, words in enumerate(corpus)]
        t0 = time.perf_counter()
        model = Doc2Vec(tagged, workers=args.threads, seed=args.seed, **params)
        out["fit_s"] = time.perf_counter() - t0
        X_train = np.vstack([model.dv[i] for i in range(len(train))])
        t0 = time.perf_counter()
        X_test = np.vstack([model.infer_vector(words) for words in test])
        out["infer_s"] = time.perf_counter() - t0
        X_train_inferred = np.vstack([model.infer_vector(words) for words in train])
        out["vocab"] = len(model.wv)
    else:
        from skembed import Doc2VecTransformer

        if args.lib == "skembed-default":
            own = json.loads(args.params)
            model = Doc2VecTransformer(n_jobs=args.threads, random_state=args.seed, **own)
        else:
            p = dict(params)
            p["dm"] = bool(p.pop("dm", 0))
            p["dbow_words"] = bool(p.pop("dbow_words", 0))
            if "dm_mean" in p:
                p["dm_mean"] = bool(p["dm_mean"])
            if "dm_concat" in p:
                p["dm_concat"] = bool(p["dm_concat"])
            p["hs"] = bool(p["hs"])
            # as gensim: inference with the fit's epochs, the vectors unscaled
            model = Doc2VecTransformer(n_jobs=args.threads, random_state=args.seed,
                                       shared_negatives=False, infer_epochs=None, norm=None,
                                       **p)
        out["params"] = model.get_params()
        out["params"].pop("init_vectors")
        t0 = time.perf_counter()
        vectors = model.fit_transform(corpus)
        out["fit_s"] = time.perf_counter() - t0
        out["timings"] = model.timings_
        X_train = vectors[:len(train)]
        model.transform(test[:200])  # the inference kernel compiled (cold cache) untimed
        t0 = time.perf_counter()
        X_test = model.transform(test)
        out["infer_s"] = time.perf_counter() - t0
        X_train_inferred = model.transform(train)
        if args.threads > 1:
            model.set_params(n_jobs=1)
            t0 = time.perf_counter()
            one = model.transform(test)
            out["infer_1thread_s"] = time.perf_counter() - t0
            out["infer_threads_equal"] = bool(np.array_equal(one, X_test))
        out["vocab"] = len(model.wv_)
    out["peak_mb"] = rss_mb()
    out["corpus_mb"] = baseline
    out["accuracy"], out["C"] = accuracy(X_train, y_train, X_test, y_test)
    # the classifier trained on inferred vectors of the training reviews instead
    out["accuracy_inferred_train"], _ = accuracy(X_train_inferred, y_train, X_test, y_test)
    # both sides' rows scaled to unit length (skembed's norm="l2")
    out["accuracy_l2"], _ = accuracy(unit(X_train), y_train, unit(X_test), y_test)
    print(json.dumps(out))


def run_one(lib, args, params):
    cmd = [sys.executable, __file__, "--worker", "--lib", lib, "--threads", str(args.threads),
           "--seed", str(args.seed), "--params", json.dumps(params)]
    if args.data:
        cmd += ["--data", str(args.data)]
    if args.max_reviews:
        cmd += ["--max-reviews", str(args.max_reviews)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default: $SKEMBED_DATA)")
    p.add_argument("--libs", default="gensim,skembed",
                   help="comma list of gensim, skembed, skembed-default")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-reviews", type=int, default=None,
                   help="keep about N of the 100,000 reviews (quick runs)")
    p.add_argument("--params", default="{}",
                   help="JSON of settings replacing the common ones (gensim's names), e.g. "
                        "'{\"dm\": 1}'; for skembed-default: Doc2VecTransformer parameters")
    p.add_argument("--json", default=None, help="also write all runs to this file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--lib", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)
    from skembed.datasets import data_home

    try:
        args.data = str(data_home(args.data, "text/aclImdb_v1.tar.gz"))
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    tokenized(args.data, args.max_reviews)  # the cache, once
    libs = args.libs.split(",")
    params = json.loads(args.params)
    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}", file=sys.stderr, flush=True)
    if any(lib.startswith("skembed") for lib in libs):
        # compile the kernels before timing (a small run of each variant)
        for lib in libs:
            if lib.startswith("skembed"):
                warm = argparse.Namespace(**{**vars(args), "max_reviews": 2000})
                tokenized(args.data, 2000)
                run_one(lib, warm, params)
    runs = []
    for rep in range(args.repeats):
        order = libs if rep % 2 == 0 else libs[::-1]  # alternate who runs first
        for lib in order:
            r = run_one(lib, args, params)
            r["repeat"] = rep
            runs.append(r)
            print(f"# repeat {rep + 1} {lib:16s} fit {r['fit_s']:7.1f}s infer "
                  f"{r['infer_s']:6.1f}s accuracy {r['accuracy']:.4f} (inferred training "
                  f"vectors: {r['accuracy_inferred_train']:.4f}, unit rows: "
                  f"{r['accuracy_l2']:.4f})", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"# done {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}", file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))

    def med(lib, key):
        vals = [r[key] for r in runs if r["lib"] == lib and key in r]
        return statistics.median(vals) if vals else float("nan")

    print(f"\nIMDB: fit on {runs[0]['documents']:,} reviews ({runs[0]['tokens']:,} tokens), "
          f"infer the test reviews; {args.threads} threads, median of {args.repeats} run(s)")
    if any(lib in ("gensim", "skembed") for lib in libs):
        print("settings of gensim and skembed: " + json.dumps(dict(COMMON, **params)))
    if "skembed-default" in libs:
        print("skembed-default: Doc2VecTransformer(n_jobs, random_state"
              + "".join(f", {k}={v!r}" for k, v in params.items()) + ")")
    print("accuracy: LogisticRegression on the trained vectors of the training reviews, "
          "scored on the inferred test vectors (a Pipeline's fit and predict); accuracy B: "
          "trained on inferred vectors of the training reviews; accuracy C: as accuracy, "
          "all rows scaled to unit length")
    header = (f"{'library':16s} {'fit s':>7s} {'x gensim':>9s} {'infer s':>8s} "
              f"{'x gensim':>9s} {'peak MB':>8s} {'accuracy':>9s} {'accuracy B':>11s} "
              f"{'accuracy C':>11s}")
    print(header)
    print("-" * len(header))
    for lib in libs:
        fit_x = med("gensim", "fit_s") / med(lib, "fit_s")
        infer_x = med("gensim", "infer_s") / med(lib, "infer_s")
        print(f"{lib:16s} {med(lib, 'fit_s'):7.1f} {fit_x:9.2f} {med(lib, 'infer_s'):8.1f} "
              f"{infer_x:9.2f} {med(lib, 'peak_mb'):8.0f} {100 * med(lib, 'accuracy'):8.2f}% "
              f"{100 * med(lib, 'accuracy_inferred_train'):10.2f}% "
              f"{100 * med(lib, 'accuracy_l2'):10.2f}%")
    if "gensim" in libs:
        for lib in libs:
            if lib == "gensim":
                continue
            pairs = [(g, s) for g in runs if g["lib"] == "gensim"
                     for s in runs if s["lib"] == lib and s["repeat"] == g["repeat"]]
            print(f"{lib} / gensim per repeat: fit "
                  + ", ".join(f"{g['fit_s'] / s['fit_s']:.2f}x" for g, s in pairs)
                  + "; infer " + ", ".join(f"{g['infer_s'] / s['infer_s']:.2f}x"
                                           for g, s in pairs))
    for lib in libs:
        one = [r for r in runs if r["lib"] == lib and "infer_1thread_s" in r]
        if one:
            print(f"{lib}: inference on 1 thread {med(lib, 'infer_1thread_s'):.1f}s "
                  f"(identical vectors to {args.threads} threads: "
                  f"{all(r['infer_threads_equal'] for r in one)}); fit split (median s) "
                  + "/".join(f"{k} {statistics.median(r['timings'][k] for r in one):.1f}"
                             for k in ("tokenize", "vocab", "train", "compile")))


if __name__ == "__main__":
    main()
