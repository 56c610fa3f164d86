"""Import time and first-call latency (Numba compilation vs on-disk cache).

Each measurement runs in a fresh Python process.  "cold" points Numba's
cache at an empty directory (what a user sees the very first time, when the
kernels compile); "warm" repeats it with that directory filled (every later
session: the compiled kernels load from disk).  Fits use tiny data, so the
seconds are almost all start-up cost.

Usage::

    python benchmarks/startup.py [--repeats 3]
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
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
