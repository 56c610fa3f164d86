"""Does predicting Customers jointly help Rossmann Sales?  (issue 16)

The same network and split as benchmarks/entity_rossmann.py (log targets,
the last six weeks as test), fitted on log(Sales) alone and on
[log(Sales), log(Customers)] jointly (a 2-D ``y``: one output per column,
each standardised, one shared hidden layer); MAPE of Sales for both, and of
Customers for the joint model and for a Customers-only model.

Usage::

    python benchmarks/entity_multi_target.py [--data DIR] [--seeds 3]
        [--subsample 1.0] [--epochs 10]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from entity_rossmann import mape  # noqa: E402

from skembed import EntityEmbeddingRegressor  # noqa: E402
from skembed.datasets import ROSSMANN_FEATURES, load_rossmann, rossmann_split  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--subsample", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()

    df = load_rossmann(args.data)
    Xtr, sales_tr, Xte, sales_te = rossmann_split(df)
    test = df.index.isin(Xte.index)
    customers = df.Customers.to_numpy(dtype=float)
    cust_tr, cust_te = customers[~test], customers[test]
    if args.subsample < 1.0:
        keep = np.random.RandomState(0).rand(len(Xtr)) < args.subsample
        Xtr, sales_tr, cust_tr = Xtr[keep], sales_tr[keep], cust_tr[keep]
    print(f"train {len(Xtr):,} rows, test {len(Xte):,} rows", flush=True)
    targets = {"Sales only": np.log(sales_tr)[:, None],
               "Customers only": np.log(cust_tr)[:, None],
               "Sales + Customers jointly": np.column_stack([np.log(sales_tr),
                                                             np.log(cust_tr)])}
    results = {name: {"sales": [], "customers": []} for name in targets}
    for seed in range(args.seeds):
        for name, y in targets.items():
            t = time.perf_counter()
            reg = EntityEmbeddingRegressor(categorical_features=ROSSMANN_FEATURES,
                                           max_iter=args.epochs, batch_size=256,
                                           random_state=seed)
            reg.fit(Xtr, y if y.shape[1] > 1 else y[:, 0])
            pred = np.exp(np.asarray(reg.predict(Xte)).reshape(len(Xte), -1))
            r = results[name]
            if name == "Customers only":
                r["customers"].append(mape(cust_te, pred[:, 0]))
            else:
                r["sales"].append(mape(sales_te, pred[:, 0]))
                if pred.shape[1] > 1:
                    r["customers"].append(mape(cust_te, pred[:, 1]))
            print(f"  seed {seed} {name:<26} sales {r['sales'][-1:]} customers "
                  f"{r['customers'][-1:]} ({time.perf_counter() - t:.0f}s)", flush=True)

    print(f"\n| model | Sales MAPE (mean of {args.seeds}) | Customers MAPE |")
    print("|---|---:|---:|")
    for name, r in results.items():
        cell = [f"{np.mean(v):.4f} ± {np.std(v):.4f}" if v else "—"
                for v in (r["sales"], r["customers"])]
        print(f"| {name} | {cell[0]} | {cell[1]} |")


if __name__ == "__main__":
    main()
