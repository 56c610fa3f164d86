"""Do the entity-embedding networks' defaults hold on time-split tasks?

Each task is trained on earlier rows and tested on later ones, as a model
is used; the network runs with default parameters (only ``random_state``
set) beside the linear model a practitioner would try first, one-hot
encoding + logistic or ridge regression, and beside the embeddings fed to
that linear model.

Tasks:

- ``rossmann``: will a store-day's sales beat the store's median (from the
  training period)?  Rossmann's 11 categorical features, train before
  2015-06-20, test the six weeks after (``--subsample`` of the training rows).
- ``movielens``: will a rating be 4 or 5?  MovieLens-100K's user, item,
  weekday, hour, month, occupation, age decade and gender as categories,
  first 80% of ratings by time for training, last 20% for testing (users
  and items unseen in training occur).
- ``movielens-rating``: the rating itself (regression, RMSE), same split.
- ``clicks``: synthetic click log shaped like a public one: seven
  categorical features, one with 4,000 Zipf-distributed ids whose effect
  drifts month by month, twelve months, train on the first ten; a weak
  additive signal (the linear model is the true model family).

Usage::

    python benchmarks/entity_defaults.py [--data DIR] [--tasks rossmann,movielens,...]
        [--seeds 3] [--subsample 0.25] [--compare-old] [--train-rows N]

``--train-rows N`` keeps a random N of each task's training rows (in time
order): how the defaults do on small data.

``--compare-old`` adds the network with the defaults before this change
(constant learning rate, no weight decay, no early stopping).
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skembed import EntityEmbeddingClassifier, EntityEmbeddingEncoder, EntityEmbeddingRegressor
from skembed.datasets import ROSSMANN_FEATURES, load_movielens, load_rossmann

OLD_DEFAULTS = dict(learning_rate_schedule="constant", weight_decay=0.0,
                    early_stopping=False)


def rossmann_beat_median(data, subsample):
    df = load_rossmann(data).sort_values("Date", kind="stable")
    test = (df.Date >= "2015-06-20").to_numpy()
    median = df[~test].groupby("Store").Sales.median()
    y = (df.Sales > df.Store.map(median)).astype(int).to_numpy()
    X = df[ROSSMANN_FEATURES].astype(str)
    Xtr, ytr = X[~test], y[~test]
    if subsample < 1:
        keep = np.sort(np.random.RandomState(0).choice(
            len(Xtr), int(subsample * len(Xtr)), replace=False))
        Xtr, ytr = Xtr.iloc[keep], ytr[keep]
    return Xtr, ytr, X[test], y[test]


def movielens(data, target="liked"):
    ratings, _, users = load_movielens(data)
    r = ratings.sort_values("ts", kind="stable")
    t = pd.to_datetime(r.ts, unit="s")
    X = pd.DataFrame({
        "user": r.user.astype(str).to_numpy(), "item": r.item.astype(str).to_numpy(),
        "weekday": t.dt.day_of_week.astype(str).to_numpy(),
        "hour": t.dt.hour.astype(str).to_numpy(), "month": t.dt.month.astype(str).to_numpy(),
        "occupation": r.user.map(users.occupation).to_numpy(),
        "age": (r.user.map(users.age) // 10).astype(str).to_numpy(),
        "gender": r.user.map(users.gender).to_numpy()})
    y = (r.rating >= 4).astype(int).to_numpy() if target == "liked" else \
        r.rating.to_numpy(dtype=float)
    n = int(0.8 * len(X))
    return X.iloc[:n], y[:n], X.iloc[n:], y[n:]


def synthetic_clicks(n=300_000, seed=0):
    rng = np.random.RandomState(seed)
    month = np.sort(rng.randint(0, 12, n))
    day = rng.randint(1, 32, n)
    hour = rng.randint(0, 24, n)
    ids = rng.permutation(4000)[(np.minimum(rng.zipf(1.3, n), 4000) - 1) % 4000]
    a, b, c = rng.randint(0, 12, n), rng.randint(0, 60, n), rng.randint(0, 300, n)
    logit = (-1.5 + rng.normal(0, 0.4, 4000)[ids] + rng.normal(0, 0.3, 12)[a]
             + rng.normal(0, 0.3, 60)[b] + rng.normal(0, 0.2, 300)[c]
             + 0.3 * np.sin(hour / 24 * 2 * np.pi)
             + rng.normal(0, 0.3, (4000, 12))[ids, month])  # an id's effect drifts
    y = (rng.random_sample(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"id": ids, "day": day, "hour": hour, "a": a, "b": b, "c": c,
                      "weekday": (month * 31 + day) % 7}).astype(str)
    train = month < 10
    return X[train], y[train], X[~train], y[~train]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--tasks", default="rossmann,movielens,movielens-rating,clicks")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--subsample", type=float, default=0.25)
    ap.add_argument("--compare-old", action="store_true")
    ap.add_argument("--train-rows", type=int, default=None)
    args = ap.parse_args()

    for task in args.tasks.split(","):
        if task == "rossmann":
            Xtr, ytr, Xte, yte = rossmann_beat_median(args.data, args.subsample)
        elif task == "movielens":
            Xtr, ytr, Xte, yte = movielens(args.data)
        elif task == "movielens-rating":
            Xtr, ytr, Xte, yte = movielens(args.data, target="rating")
        elif task == "clicks":
            Xtr, ytr, Xte, yte = synthetic_clicks()
        else:
            raise SystemExit(f"unknown task {task!r}")
        if args.train_rows and args.train_rows < len(Xtr):
            keep = np.sort(np.random.RandomState(0).choice(len(Xtr), args.train_rows,
                                                           replace=False))
            Xtr, ytr = Xtr.iloc[keep], np.asarray(ytr)[keep]
        regression = task == "movielens-rating"
        metric = "RMSE" if regression else "ROC AUC"
        print(f"\n== {task}: train {len(Xtr):,} rows, test {len(Xte):,}, {metric}", flush=True)

        def score(model, yte=yte, Xte=Xte, regression=regression):
            if regression:
                return mean_squared_error(yte, model.predict(Xte)) ** 0.5
            return roc_auc_score(yte, model.predict_proba(Xte)[:, 1])

        linear = Ridge(alpha=1.0) if regression else LogisticRegression(max_iter=1000)
        net = EntityEmbeddingRegressor if regression else EntityEmbeddingClassifier
        models = {
            "one-hot + linear": (OneHotEncoder, {"handle_unknown": "ignore"}, linear),
            "EntityEmbeddingEncoder() + linear": (EntityEmbeddingEncoder, {}, linear),
            f"{net.__name__}() defaults": (net, {}, None),
        }
        if args.compare_old:
            models["  previous defaults"] = (net, OLD_DEFAULTS, None)
        for name, (cls, kw, head) in models.items():
            seeds = [0] if name == "one-hot + linear" else range(args.seeds)
            scores, secs = [], []
            for seed in seeds:
                t = time.perf_counter()
                first = cls(**kw) if cls is OneHotEncoder else cls(random_state=seed, **kw)
                model = first if head is None else make_pipeline(first, clone(head))
                model.fit(Xtr, ytr)
                secs.append(time.perf_counter() - t)
                scores.append(score(model))
            print(f"{name:<40} {metric} {np.mean(scores):.4f} (seeds {len(scores)}, "
                  f"std {np.std(scores):.4f}, {np.median(secs):.0f}s per fit)", flush=True)


if __name__ == "__main__":
    main()
