"""User vectors as features: item2vec profiles of MovieLens users predict
who they are, best where a downstream model sees little of each user.

The transfer story of user embeddings (Twitter's user interests learned from
organic interactions, reused by ads ranking): item vectors are learned once
from every user's full rating history, without labels; a user is then the
mean of the vectors of the movies they rated (``ItemSequenceEmbedder.
transform``), and a ``LogisticRegression`` predicts a user attribute from
it.  The comparison is the usual sparse representation, a one-hot bag of
the rated movies (1,682 columns).  Each model sees only each user's first
``n`` ratings (a new user), for several ``n``; ROC AUC from 5-fold
cross-validation over users (the embedder is frozen, so no fold refits it).

Usage::

    python examples/movielens_user_vectors.py --data ../shared/data [--out figures]

About 25 s on two cores.  Output of one run (2026-11-29)::

    943 users; item vectors from 100,000 ratings (no labels)
    ROC AUC, 5-fold CV over users; columns: first n ratings per user
    target   features                    5     10     20     50    all
    female   item2vec user vector    0.592  0.629  0.664  0.718  0.753
    female   bag of movies           0.549  0.562  0.675  0.679  0.767
    age<25   item2vec user vector    0.728  0.771  0.793  0.817  0.827
    age<25   bag of movies           0.688  0.727  0.775  0.805  0.834

With 5 to 10 ratings, 64 numbers per user carry what the movies have in
common (learned from everyone's histories) and beat the bag of movies by
0.04 to 0.07 AUC; with full histories the two are within 0.015 of each
other.  The figure (``movielens_user_vectors.png``) plots these curves.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from skembed import ItemSequenceEmbedder, sequences_from_events
from skembed.datasets import load_movielens

FIRST_N = (5, 10, 20, 50, None)


def load(data):
    try:
        ratings, _, users = load_movielens(data)
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    return ratings, users


class BagOfItems(MultiLabelBinarizer):
    """MultiLabelBinarizer as a transformer of X (not of y) for a Pipeline."""

    def fit(self, X, y=None):
        return super().fit(X)

    def transform(self, X):
        return super().transform(X).astype(np.float32)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [str(n) if n else "all" for n in FIRST_N]
    fig, axes = plt.subplots(1, len(results), figsize=(10, 4), sharey=True)
    for ax, (target, rows) in zip(np.atleast_1d(axes), results.items(), strict=True):
        for name, aucs in rows.items():
            ax.plot(labels, aucs, marker="o", label=name)
        ax.set_title(f"predict {target}")
        ax.set_xlabel("first n ratings of each user")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("ROC AUC (5-fold CV)")
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None,
                   help="directory holding interactions/ml-100k/ (default $SKEMBED_DATA)")
    p.add_argument("--out", default=".", help="directory for the figure")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    t0 = time.perf_counter()
    # scikit-learn's deprecation notices of LogisticRegressionCV, here and in
    # the cross-validation workers (which inherit the environment)
    os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning"
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    ratings, users = load(args.data)
    histories, ids = sequences_from_events(ratings, "user", "item", time_col="ts")
    who = users.loc[ids]
    targets = {"female": (who["gender"] == "F").to_numpy(),
               "age<25": (who["age"] < 25).to_numpy()}
    # item vectors from every full history, no labels involved; window="all":
    # a user's ratings are a set more than a sequence
    embedder = ItemSequenceEmbedder(window="all", ns_exponent=-0.5, n_jobs=args.n_jobs,
                                    random_state=args.seed).fit(histories)
    print(f"{len(histories)} users; item vectors from {len(ratings):,} ratings (no labels)")

    def classifier():
        return LogisticRegressionCV(Cs=np.logspace(-3, 1, 9), cv=3, scoring="roc_auc",
                                    max_iter=3000)

    models = {
        "item2vec user vector": make_pipeline(FrozenEstimator(embedder), StandardScaler(),
                                              classifier()),
        "bag of movies": make_pipeline(
            BagOfItems(classes=sorted(ratings["item"].unique()), sparse_output=True),
            classifier()),
    }
    cv = StratifiedKFold(5, shuffle=True, random_state=args.seed)
    print("ROC AUC, 5-fold CV over users; columns: first n ratings per user")
    print(f"{'target':8s} {'features':22s} " + " ".join(f"{n or 'all':>6}" for n in FIRST_N))
    results = {}
    for target, t in targets.items():
        results[target] = {}
        for name, model in models.items():
            aucs = []
            for n in FIRST_N:
                X = [h[:n] for h in histories]
                aucs.append(cross_val_score(model, X, t, cv=cv, scoring="roc_auc",
                                            n_jobs=args.n_jobs).mean())
            results[target][name] = aucs
            print(f"{target:8s} {name:22s} " + " ".join(f"{a:6.3f}" for a in aucs),
                  flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot(results, out / "movielens_user_vectors.png")
    print(f"figure saved to {out / 'movielens_user_vectors.png'}; "
          f"total {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
