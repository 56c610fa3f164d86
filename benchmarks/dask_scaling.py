"""Time and driver memory: in-memory vs Dask fit and inference.

Two workloads, each on its data written as partitions to a temporary
directory:

- ``text``: the text8-style Wikipedia corpus (16.9M tokens; ``--max-tokens``
  for a slice) in lines of 10,000 tokens, written as ``--shards`` (16) text
  files.  In memory: the lines are read into a list in this process and
  ``Word2VecTransformer.fit`` / ``transform`` run on it.  Dask:
  ``dask.bag.read_text`` of the shards; ``fit`` tokenizes, counts and
  encodes on the workers and streams the encoded shards here for training
  (:class:`skembed.word2vec.DaskCorpus`); ``transform`` runs block-wise on
  the workers and the document vectors are gathered here.
- ``rossmann``: the Rossmann training rows of ``load_rossmann`` (844,338;
  ``--max-rows`` for a slice) written as ``--partitions`` (16) Parquet files.
  In memory: ``pandas.read_parquet`` then ``EntityEmbeddingRegressor.fit``
  (``--epochs`` epochs, no early stopping) and ``predict``.  Dask:
  ``dask.dataframe.read_parquet`` + ``categorize``, ``partial_fit`` on one
  partition at a time for ``--epochs`` passes, and ``predict`` block-wise on
  the workers (gathered here).

- ``recommender``: an event log of ``--sessions`` (300,000) synthetic
  sessions (``benchmarks/recommender.py``'s ``synthetic_sessions``, 100,000
  items; columns session, item, time) written as ``--partitions`` Parquet
  files.  In memory: ``pandas.read_parquet``, ``sequences_from_events``, then
  ``SequentialRulesRecommender().fit`` and ``SessionKNNRecommender().fit``
  and ``recommend`` for as many sessions as one partition holds.  Dask:
  ``dask.dataframe.read_parquet`` and the same ``fit(log, user_col=...,
  item_col=..., time_col=...)`` on the Dask DataFrame (sessions cut and
  rules, counts and the session index counted on the workers), then
  ``recommend`` block-wise on the first partition of the Dask sequences.

Each configuration (in memory; Dask with a ``LocalCluster`` of 1 and of 2
worker processes, one thread each) runs in a fresh process.  Reported per
phase: wall seconds (reading included) and the peak resident memory of
the driver process above its level before the phase (sampled every 20 ms;
the Dask driver also hosts the LocalCluster's scheduler, whose start-up is
excluded).  Training threads: ``--n-jobs`` in the driver for both paths.
Worker processes are not counted: that is the point of Dask.

Usage::

    pip install -e ".[dask]"
    python benchmarks/dask_scaling.py [--data DIR] [--part text,rossmann,recommender]
        [--workers 1,2] [--max-tokens N] [--max-rows N] [--epochs 5]
    python benchmarks/dask_scaling.py --max-tokens 200000 --max-rows 20000 --epochs 1
        # a quick check
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

TEXT_PARAMS = dict(vector_size=100, token_pattern=r"\S+", lowercase=False)


class PeakRSS:
    """Peak resident memory of this process above its level at entry (MB),
    sampled by a thread."""

    def __init__(self, interval=0.02):
        import psutil

        self.process = psutil.Process()
        self.interval = interval

    def __enter__(self):
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        self.mb = (self.peak - self.start) / 2**20


# -- data ----------------------------------------------------------------------
def write_text_shards(data, out, n_shards, max_tokens):
    from skembed.datasets import load_text8

    lines = load_text8(data, max_words=max_tokens)
    out.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(lines), n_shards + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        with open(out / f"shard-{i:03d}.txt", "w") as f:
            f.writelines(" ".join(line) + "\n" for line in lines[a:b])
    return sum(map(len, lines)), len(lines)


def write_rossmann_parquet(data, out, n_partitions, max_rows):
    import pandas as pd

    from skembed.datasets import ROSSMANN_FEATURES, load_rossmann

    df = load_rossmann(data)
    if max_rows:
        df = df.iloc[:max_rows]
    # shuffled rows (partial_fit wants no order across partitions); the
    # features as strings, made categories on reading
    df = df.sample(frac=1.0, random_state=0).reset_index(drop=True)
    table = df[ROSSMANN_FEATURES].astype(str).assign(Sales=df.Sales.astype(float))
    out.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(table), n_partitions + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        table.iloc[a:b].to_parquet(out / f"part-{i:03d}.parquet", index=False)
    assert isinstance(table, pd.DataFrame)
    return len(table)


# -- one configuration (in a fresh process) --------------------------------------
def _cluster(workers):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return cluster, Client(cluster)


def _lazy(estimator, method, X):
    """``estimator.method(X)`` on a Dask collection (through apply_blockwise
    for an estimator whose methods are not Dask-aware yet)."""
    from skembed._dask import apply_blockwise

    bound = getattr(estimator, method)
    if getattr(bound, "__skembed_dask_aware__", False):
        return bound(X)
    return apply_blockwise(estimator, method, X)


def run_text(args, workers):
    from skembed import Word2VecTransformer

    shards = sorted(str(p) for p in Path(args.dir, "text").glob("*.txt"))
    params = dict(TEXT_PARAMS, epochs=args.epochs, n_jobs=args.n_jobs, random_state=0)
    result = {}
    if workers == 0:
        def read():
            lines = []
            for path in shards:
                with open(path) as f:
                    lines += f.read().splitlines()
            return lines

        with PeakRSS() as fit:
            w2v = Word2VecTransformer(**params).fit(read())
        with PeakRSS() as infer:
            vectors = w2v.transform(read())
    else:
        import dask.bag as db

        t0 = time.perf_counter()
        cluster, client = _cluster(workers)
        result["cluster_s"] = time.perf_counter() - t0
        with PeakRSS() as fit:
            w2v = Word2VecTransformer(**params).fit(db.read_text(shards))
        with PeakRSS() as infer:
            vectors = np.vstack(w2v.transform(db.read_text(shards)).compute())
        client.close()
        cluster.close()
    result.update(fit_s=fit.seconds, fit_mb=fit.mb, infer_s=infer.seconds, infer_mb=infer.mb,
                  vocabulary=len(w2v.wv_), documents=len(vectors),
                  timings=w2v.timings_)
    return result


def run_rossmann(args, workers):
    import pandas as pd

    from skembed import EntityEmbeddingRegressor
    from skembed.datasets import ROSSMANN_FEATURES

    path = Path(args.dir, "rossmann")
    params = dict(categorical_features=ROSSMANN_FEATURES, n_jobs=args.n_jobs,
                  random_state=0)
    result = {}
    if workers == 0:
        with PeakRSS() as fit:
            df = pd.read_parquet(path)
            X = df[ROSSMANN_FEATURES].astype("category")
            reg = EntityEmbeddingRegressor(max_iter=args.epochs, early_stopping=False,
                                           **params).fit(X, np.log(df["Sales"]))
            del df, X
        with PeakRSS() as infer:
            df = pd.read_parquet(path)
            predictions = reg.predict(df[ROSSMANN_FEATURES].astype("category"))
    else:
        import dask.dataframe as dd

        t0 = time.perf_counter()
        cluster, client = _cluster(workers)
        result["cluster_s"] = time.perf_counter() - t0
        with PeakRSS() as fit:
            ddf = dd.read_parquet(path).categorize(columns=ROSSMANN_FEATURES)
            reg = EntityEmbeddingRegressor(**params)
            parts = ddf.to_delayed()
            for _ in range(args.epochs):
                # the next partition is read on a worker while this one trains
                futures = client.compute(parts[:1])
                for i in range(len(parts)):
                    chunk = futures[0].result()
                    futures = client.compute(parts[i + 1:i + 2])
                    reg.partial_fit(chunk[ROSSMANN_FEATURES], np.log(chunk["Sales"]))
                    del chunk
        with PeakRSS() as infer:
            ddf = dd.read_parquet(path).categorize(columns=ROSSMANN_FEATURES)
            predictions = _lazy(reg, "predict", ddf[ROSSMANN_FEATURES]).compute()
        client.close()
        cluster.close()
    result.update(fit_s=fit.seconds, fit_mb=fit.mb, infer_s=infer.seconds, infer_mb=infer.mb,
                  rows=len(predictions))
    return result


def write_event_log(out, n_sessions, n_partitions):
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).parent))
    from recommender import synthetic_sessions

    sessions = synthetic_sessions(n_sessions)
    lengths = np.array([len(x) for x in sessions])
    log = pd.DataFrame({"session": np.repeat(np.arange(len(sessions)), lengths),
                        "item": np.concatenate(sessions),
                        "t": np.arange(int(lengths.sum()), dtype=np.int64)})
    out.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(log), n_partitions + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        log.iloc[a:b].to_parquet(out / f"part-{i:03d}.parquet", index=False)
    return len(log), len(sessions)


def run_recommender(args, workers):
    import pandas as pd

    from skembed import SequentialRulesRecommender, SessionKNNRecommender, sequences_from_events

    path = Path(args.dir, "recommender")
    cols = dict(user_col="session", item_col="item", time_col="t")
    makers = (SequentialRulesRecommender, SessionKNNRecommender)
    result = {}
    if workers == 0:
        with PeakRSS() as fit:
            log = pd.read_parquet(path)
            sequences, _ = sequences_from_events(log, "session", "item", "t")
            del log
            models = [m(n_jobs=args.n_jobs).fit(sequences) for m in makers]
        with PeakRSS() as infer:
            for m in models:
                m.recommend(sequences[:len(sequences) // args.partitions])
    else:
        import dask.dataframe as dd

        t0 = time.perf_counter()
        cluster, client = _cluster(workers)
        result["cluster_s"] = time.perf_counter() - t0
        with PeakRSS() as fit:
            log = dd.read_parquet(path)
            models = [m(n_jobs=args.n_jobs).fit(log, **cols) for m in makers]
        with PeakRSS() as infer:
            sequences, _ = sequences_from_events(log, "session", "item", "t")
            first = sequences.partitions[:1]
            for m in models:
                m.recommend(first).compute()
        client.close()
        cluster.close()
    result.update(fit_s=fit.seconds, fit_mb=fit.mb, infer_s=infer.seconds, infer_mb=infer.mb)
    return result


# -- driver ------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default: $SKEMBED_DATA)")
    p.add_argument("--part", default="text,rossmann",
                   help="comma list of text, rossmann, recommender")
    p.add_argument("--sessions", type=int, default=300_000,
                   help="synthetic sessions of the recommender part")
    p.add_argument("--workers", default="1,2", help="LocalCluster sizes (comma list)")
    p.add_argument("--max-tokens", type=int, default=None, help="text8 slice (tokens)")
    p.add_argument("--max-rows", type=int, default=None, help="Rossmann slice (rows)")
    p.add_argument("--shards", type=int, default=16, help="text shards")
    p.add_argument("--partitions", type=int, default=16, help="Parquet partitions")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--n-jobs", type=int, default=-1, help="training threads (driver)")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    p.add_argument("--n-workers", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.child:  # one configuration, result as a JSON line
        run = {"text": run_text, "rossmann": run_rossmann,
               "recommender": run_recommender}[args.child]
        print("RESULT " + json.dumps(run(args, args.n_workers)), flush=True)
        return

    parts = [s for s in args.part.split(",") if s]
    workers = [int(w) for w in args.workers.split(",") if w]
    rows = []
    with tempfile.TemporaryDirectory(prefix="skembed-dask-bench-") as tmp:
        sizes = {}
        if "text" in parts:
            n_tokens, n_lines = write_text_shards(args.data, Path(tmp, "text"), args.shards,
                                                  args.max_tokens)
            sizes["text"] = f"{n_tokens:,} tokens in {n_lines:,} lines, {args.shards} shards"
        if "rossmann" in parts:
            n_rows = write_rossmann_parquet(args.data, Path(tmp, "rossmann"), args.partitions,
                                            args.max_rows)
            sizes["rossmann"] = f"{n_rows:,} rows, {args.partitions} Parquet partitions"
        if "recommender" in parts:
            n_events, n_sessions = write_event_log(Path(tmp, "recommender"), args.sessions,
                                                   args.partitions)
            sizes["recommender"] = (f"{n_events:,} events of {n_sessions:,} sessions, "
                                    f"{args.partitions} Parquet partitions")
        for part in parts:
            print(f"{part}: {sizes[part]}", flush=True)
            for n in [0] + workers:
                cmd = [sys.executable, __file__, "--child", part, "--dir", tmp,
                       "--n-workers", str(n), "--epochs", str(args.epochs),
                       "--n-jobs", str(args.n_jobs), "--partitions", str(args.partitions)]
                out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
                lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
                if out.returncode or not lines:
                    sys.stderr.write(out.stderr[-3000:])
                    raise SystemExit(f"{part} with {n} workers failed")
                result = json.loads(lines[-1][len("RESULT "):])
                result.update(part=part, workers=n)
                rows.append(result)
                mode = "in memory" if n == 0 else f"Dask, {n} worker{'s' * (n > 1)}"
                print(f"  {mode:<18} fit {result['fit_s']:8.1f} s  driver +"
                      f"{result['fit_mb']:7.0f} MB   inference {result['infer_s']:7.1f} s"
                      f"  driver +{result['infer_mb']:6.0f} MB", flush=True)
    print()
    print("| data | mode | fit s | of which: tokenize, train s | fit: driver peak MB "
          "| inference s | inference: driver peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        n = r["workers"]
        mode = "in memory" if n == 0 else f"Dask, {n} worker{'s' * (n > 1)}"
        t = r.get("timings")
        split = f"{t['tokenize']:.1f}, {t['train']:.1f}" if t else "-"
        print(f"| {r['part']} | {mode} | {r['fit_s']:.1f} | {split} | {r['fit_mb']:.0f} | "
              f"{r['infer_s']:.1f} | {r['infer_mb']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
