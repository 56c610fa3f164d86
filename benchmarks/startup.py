"""Import time and first-call latency (Numba compilation vs on-disk cache).

Each measurement runs in a fresh Python process.  "cold" points Numba's
cache at an empty directory (what a user sees the very first time, when the
kernels compile); "warm" repeats it with that directory filled (every later
session: the compiled kernels load from disk).  Fits use tiny data, so the
seconds are almost all start-up cost.

Usage::

    python benchmarks/startup.py [--repeats 3]
    python benchmarks/startup.py --kernels   # what a cold first call compiles

``--kernels`` runs each snippet once on a cold cache with a listener on
Numba's compile events and prints the seconds of every kernel compiled from
Python (the kernels it calls included; Numba's own helpers are counted in
the first kernel that needs them).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

SNIPPETS = {
    "import skembed": "import skembed",
    "Word2VecTransformer fit+transform": """
from skembed import Word2VecTransformer
docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
Word2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs)
""",
    "Word2VecTransformer(n_jobs=2) fit+transform": """
from skembed import Word2VecTransformer
docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
Word2VecTransformer(vector_size=8, min_count=1, epochs=1, n_jobs=2).fit(docs).transform(docs)
""",
    "NearestNeighborRecommender fit+predict": """
from skembed import NearestNeighborRecommender
seqs = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"]] * 20
NearestNeighborRecommender(n_recommendations=2).fit(seqs).predict([["a", "b"]])
""",
    "NearestNeighborRecommender(n_jobs=2) fit+predict": """
from skembed import NearestNeighborRecommender
seqs = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"]] * 20
NearestNeighborRecommender(n_recommendations=2, n_jobs=2).fit(seqs).predict([["a", "b"]])
""",
    "EntityEmbeddingRegressor fit+predict": """
import numpy as np, pandas as pd
from skembed import EntityEmbeddingRegressor
X = pd.DataFrame({"store": list("abcd") * 25, "x": np.arange(100.0)})
y = np.arange(100.0)
EntityEmbeddingRegressor(max_iter=2).fit(X, y).predict(X)
""",
}


def run(code, cache_dir):
    prog = ("import time; t0 = time.perf_counter()\n" + code
            + "\nprint(time.perf_counter() - t0)")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", prog], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


# Top-level compile seconds per kernel, from Numba's compile events.
_LISTENER = """
import collections, json, time
from numba.core import event
_depth, _start, _seconds = [0], {}, collections.defaultdict(float)
class _Listener(event.Listener):
    def on_start(self, ev):
        _depth[0] += 1
        if _depth[0] == 1:
            _start[0] = time.perf_counter()
    def on_end(self, ev):
        _depth[0] -= 1
        if _depth[0] == 0:
            f = ev.data["dispatcher"].py_func
            _seconds[f.__module__ + "." + f.__qualname__] += time.perf_counter() - _start[0]
event.register("numba:compile", _Listener())
"""


def kernels(code, cache_dir):
    prog = _LISTENER + code + "\nprint(json.dumps(_seconds))"
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", prog], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--kernels", action="store_true",
                   help="list the kernels a cold first call compiles, with seconds")
    args = p.parse_args()
    if args.kernels:
        for name, code in SNIPPETS.items():
            with tempfile.TemporaryDirectory() as cache:
                seconds = kernels(code, cache)
            print(f"{name}: {sum(seconds.values()):.2f} s of compilation")
            for kernel, t in sorted(seconds.items(), key=lambda kv: -kv[1]):
                print(f"  {t:6.2f}  {kernel}")
        return
    results = {}
    for name, code in SNIPPETS.items():
        cold, warm = [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(run(code, cache))
                warm.append(run(code, cache))
        results[name] = (statistics.median(cold), statistics.median(warm))
    title = f"seconds in a fresh process (median of {args.repeats})"
    print(f"{title:50s} "
          f"{'cold cache':>10s} {'warm cache':>10s}")
    for name, (c, w) in results.items():
        print(f"{name:50s} {c:10.2f} {w:10.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
