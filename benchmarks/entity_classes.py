"""Cross-fitted encoders against the number of classes of the target.

``EntityEmbeddingEncoder().fit_transform`` (one network, then out-of-fold
embeddings by a Newton step whose curvature involves every class) against
scikit-learn's ``TargetEncoder().fit_transform`` (one column per feature and
class), on a synthetic table: ``--rows`` rows, four categorical columns of
300 values each, the class a function of the first column.  Each fit runs in
a fresh process so that its peak resident memory (the whole process) is its
own; the median seconds of ``--repeats`` runs, alternating encoders, and the
ratio are printed per number of classes.

Usage::

    python benchmarks/entity_classes.py [--rows 20000] [--classes 10,100,300]
        [--repeats 3]
"""

import argparse
import json
import subprocess
import sys

import numpy as np

CHILD = """
import json, resource, sys, time
import numpy as np, pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import TargetEncoder
from skembed import EntityEmbeddingEncoder
name, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.RandomState(0)
X = pd.DataFrame({f"c{j}": rng.randint(0, 300, n).astype(str) for j in range(4)})
y = (X.c0.astype(int) % k).astype(str).to_numpy()
if name == "entity":  # compile (or load) the kernels outside the timing
    EntityEmbeddingEncoder(random_state=0).fit_transform(X[:500], y[:500])
enc = EntityEmbeddingEncoder(random_state=0) if name == "entity" \\
    else TargetEncoder(cv=StratifiedKFold(5, shuffle=True, random_state=0))  # seeded folds
t0 = time.perf_counter()
Z = enc.fit_transform(X, y)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "columns": Z.shape[1],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(name, rows, classes):
    out = subprocess.run([sys.executable, "-c", CHILD, name, str(rows), str(classes)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--classes", default="10,100,300")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'classes':>7} {'encoder':<8} {'seconds':>8} {'peak MB':>8} {'columns':>8}")
    for k in (int(c) for c in args.classes.split(",")):
        res = {"entity": [], "target": []}
        for _ in range(args.repeats):
            for name in res:
                res[name].append(run(name, args.rows, k))
        med = {}
        for name, runs in res.items():
            med[name] = float(np.median([r["seconds"] for r in runs]))
            peak = float(np.median([r["peak_mb"] for r in runs]))
            print(f"{k:>7} {name:<8} {med[name]:8.2f} {peak:8.0f} {runs[0]['columns']:>8}",
                  flush=True)
        print(f"{k:>7} ratio entity / target: {med['entity'] / med['target']:.1f}x", flush=True)


if __name__ == "__main__":
    main()
