"""Entity embeddings on Rossmann store sales (Guo & Berkhahn 2016): one table.

Rows with Open == 1 and Sales > 0; features Store, DayOfWeek, Promo, Year,
Month, Day, State, StateHoliday, SchoolHoliday, StoreType, Assortment (all
categorical); target log(Sales); test = 2015-06-20 .. 2015-07-31, train =
everything before; metric MAPE on Sales (predictions exp(log-prediction)).

Usage::

    python benchmarks/entity_rossmann.py [--data DIR] [--subsample 0.2]
        [--seeds 3] [--epochs 10] [--knn-train 20000] [--figure PNG] [--dims-rules]

``--data`` (or ``SKEMBED_DATA``) is the directory holding ``rossmann/``.
KNN (brute force, quadratic) and the dense one-hot HistGradientBoosting
(one-hot Rossmann does not fit in memory densely) are fitted on a fixed
random subsample of ``--knn-train`` training rows; their embedding
counterparts use the same rows.  HistGradientBoosting: 100 iterations,
learning rate 0.2, 63 leaves everywhere.
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, TargetEncoder
from tabular import target_encoder  # benchmarks/tabular.py

from skembed import EntityEmbeddingEncoder, EntityEmbeddingRegressor, EntityNeighborFeatures
from skembed.datasets import (
    ROSSMANN_FEATURES,
    ROSSMANN_TEST_PERIOD,
    load_rossmann,
    rossmann_split,
)
from skembed.entity._base import AUTO_DIM_RULE
from skembed.entity.network import auto_embedding_dim

FEATURES = ROSSMANN_FEATURES
TEST_START, TEST_END = ROSSMANN_TEST_PERIOD


def load(data_dir):
    return rossmann_split(load_rossmann(data_dir))


def mape(y_true, y_pred):
    return float(np.mean(np.abs(y_true - y_pred) / y_true))


def ee_regressor(seed, epochs, dims="auto", **kw):
    net = EntityEmbeddingRegressor(categorical_features=FEATURES, embedding_dims=dims,
                                   max_iter=epochs, batch_size=256, random_state=seed, **kw)
    return TransformedTargetRegressor(regressor=net, func=np.log, inverse_func=np.exp,
                                      check_inverse=False)


def dims_for(rule, X):
    return {c: auto_embedding_dim(X[c].nunique(), rule) for c in FEATURES}


def hgb(seed=0, **kw):
    return HistGradientBoostingRegressor(max_iter=100, learning_rate=0.2, max_leaf_nodes=63,
                                         early_stopping=False, random_state=seed, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--subsample", type=float, default=1.0,
                    help="fraction of training rows used (development runs)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--knn-train", type=int, default=20_000)
    ap.add_argument("--figure", default=None, help="save the State/Store embedding plot")
    ap.add_argument("--dims-rules", action="store_true",
                    help="also compare embedding_dims rules (half vs fastai)")
    ap.add_argument("--skip-new-stores", action="store_true")
    ap.add_argument("--figure-only", action="store_true",
                    help="fit the seed-0 regressor, save --figure and stop")
    ap.add_argument("--new-store-seeds", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    Xtr, ytr, Xte, yte = load(args.data)
    if args.subsample < 1.0:
        keep = np.random.RandomState(0).rand(len(Xtr)) < args.subsample
        Xtr, ytr = Xtr[keep], ytr[keep]
    print(f"train {len(Xtr):,} rows, test {len(Xte):,} rows "
          f"(loaded in {time.perf_counter() - t0:.0f}s)", flush=True)
    log_ytr = np.log(ytr)
    if args.figure_only:
        return plot(ee_regressor(0, args.epochs).fit(Xtr, ytr).regressor_, Xtr,
                    args.figure or "entity_rossmann_embeddings.png")
    small = np.random.RandomState(1).choice(len(Xtr), min(args.knn_train, len(Xtr)),
                                            replace=False)
    rows = []

    def report(name, pred, seconds, note=""):
        rows.append((name, mape(yte, pred), seconds, note))
        print(f"{name:<48} MAPE {rows[-1][1]:.4f}  ({seconds:.0f}s) {note}", flush=True)

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t

    # -- entity-embedding network, mean of seeds -------------------------------
    regs, preds, secs = [], [], 0.0
    for seed in range(args.seeds):
        reg, s = timed(lambda seed=seed: ee_regressor(seed, args.epochs).fit(Xtr, ytr))
        regs.append(reg)
        preds.append(mape(yte, reg.predict(Xte)))
        secs += s
        print(f"  EntityEmbeddingRegressor seed {seed}: MAPE {preds[-1]:.4f} ({s:.0f}s)",
              flush=True)
    rows.append((f"EntityEmbeddingRegressor (mean of {args.seeds} seeds)",
                 float(np.mean(preds)), secs / args.seeds, f"std {np.std(preds):.4f}"))
    print(rows[-1], flush=True)
    encoder = regs[0].regressor_.encoder_

    if args.dims_rules:
        for rule in ("half", "fastai"):
            scores = []
            if rule == AUTO_DIM_RULE:  # the default: reuse the runs above
                scores = preds
            for seed in range(len(scores), args.seeds):
                reg = ee_regressor(seed, args.epochs, dims_for(rule, Xtr)).fit(Xtr, ytr)
                scores.append(mape(yte, reg.predict(Xte)))
            rows.append((f"  embedding_dims rule {rule!r} (mean of {args.seeds})",
                         float(np.mean(scores)), float("nan"),
                         f"std {np.std(scores):.4f}; dims {list(dims_for(rule, Xtr).values())}"))
            print(rows[-1], flush=True)

    # -- baselines on the full training set --------------------------------------
    def fit_predict(model, Xa, Xb, y=log_ytr):
        model.fit(Xa, y)
        return np.exp(model.predict(Xb))

    onehot = OneHotEncoder(handle_unknown="ignore")
    pred, s = timed(lambda: fit_predict(make_pipeline(onehot, Ridge(alpha=1.0)), Xtr, Xte))
    report("OneHot + Ridge", pred, s)

    ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    native = np.array([c != "Store" for c in FEATURES])  # Store has > 255 levels
    pred, s = timed(lambda: fit_predict(
        make_pipeline(ordinal, hgb(categorical_features=native)), Xtr, Xte))
    report("Ordinal + HGB native categorical", pred, s, "Store as its ordinal code")

    pred, s = timed(lambda: fit_predict(
        make_pipeline(TargetEncoder(target_type="continuous"), hgb()),
        Xtr, Xte))
    report("TargetEncoder + HGB", pred, s)

    Etr, Ete = encoder.transform(Xtr), encoder.transform(Xte)
    pred, s = timed(lambda: fit_predict(hgb(), Etr, Ete))
    report("regressor's encoder_ + HGB", pred, s, "embeddings of seed 0, in-sample")
    for cv in (None, 5):
        enc = EntityEmbeddingEncoder(cv=cv, random_state=0)
        pred, s = timed(lambda enc=enc: fit_predict(make_pipeline(enc, hgb()), Xtr, Xte))
        report(f"EntityEmbeddingEncoder(cv={cv}) + HGB", pred, s,
               "fit_transform cross-fitted" if cv else "fit_transform = fit + transform")

    # -- subsample comparisons: one-hot vs embeddings for HGB and KNN -----------
    n_small = len(small)
    oh = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32)
    Otr = oh.fit_transform(Xtr.iloc[small])
    Ote = oh.transform(Xte)
    pred, s = timed(lambda: fit_predict(hgb(), Otr, Ote, log_ytr[small]))
    report(f"OneHot + HGB ({n_small:,} train rows)", pred, s)
    Otr = Ote = None
    pred, s = timed(lambda: fit_predict(hgb(), Etr[small], Ete, log_ytr[small]))
    report(f"EntityEmbeddingEncoder + HGB ({n_small:,} train rows)", pred, s)

    # one-hot euclidean distance^2 = 2 * (number of differing features): hamming
    # on ordinal codes gives the same neighbours without the wide dense matrix
    ordk = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    Ktr = ordk.fit_transform(Xtr.iloc[small])
    Kte = ordk.transform(Xte)
    pred, s = timed(lambda: fit_predict(
        KNeighborsRegressor(n_neighbors=10, metric="hamming", algorithm="brute", n_jobs=2),
        Ktr, Kte, log_ytr[small]))
    report(f"OneHot + KNN k=10 ({n_small:,} train rows)", pred, s,
           "hamming on codes = one-hot euclidean")
    pred, s = timed(lambda: fit_predict(
        KNeighborsRegressor(n_neighbors=10, algorithm="brute", n_jobs=2),
        Etr[small], Ete, log_ytr[small]))
    report(f"EntityEmbeddingEncoder + KNN k=10 ({n_small:,} train rows)", pred, s)

    # -- new stores: 10% of stores never seen in training ----------------------------
    if not args.skip_new_stores:
        stores = np.unique(Xtr["Store"].astype(str))
        held = set(np.random.RandomState(0).choice(stores, len(stores) // 10,
                                                   replace=False))
        tr_mask = ~Xtr["Store"].astype(str).isin(held).to_numpy()
        te_mask = Xte["Store"].astype(str).isin(held).to_numpy()
        Xa, ya, Xb, yb = Xtr[tr_mask], ytr[tr_mask], Xte[te_mask], yte[te_mask]
        print(f"new stores: {len(held)} held out, {te_mask.sum():,} test rows", flush=True)
        attributes = ["StoreType", "Assortment", "State"]
        found = {name: [] for name in (
            "EntityEmbeddingRegressor, unknown-store row",
            "EntityEmbeddingRegressor(embedding_dropout=0.1), unknown-store row",
            "neighbour forecast, k=10, attribute embeddings",
            "neighbour forecast, k=10, last hidden layer",
            "TargetEncoder + HGB + neighbour features")}
        te = make_pipeline(TargetEncoder(target_type="continuous"), hgb())
        rows.append(("New stores: TargetEncoder + HGB",
                     mape(yb, fit_predict(te, Xa, Xb, np.log(ya))), float("nan"), ""))
        print(rows[-1], flush=True)
        for seed in range(args.new_store_seeds):
            reg = ee_regressor(seed, args.epochs).fit(Xa, ya)
            found["EntityEmbeddingRegressor, unknown-store row"].append(
                mape(yb, reg.predict(Xb)))
            dropped = ee_regressor(seed, args.epochs, embedding_dropout=0.1).fit(Xa, ya)
            found["EntityEmbeddingRegressor(embedding_dropout=0.1), unknown-store row"].append(
                mape(yb, dropped.predict(Xb)))
            for rep, name in (("embeddings", "attribute embeddings"),
                              ("hidden", "last hidden layer")):
                nf = EntityNeighborFeatures(reg, entity="Store", attributes=attributes,
                                            n_neighbors=10, representation=rep,
                                            prefit=True).fit(Xa, np.log(ya))
                Fb = nf.transform(Xb)
                found[f"neighbour forecast, k=10, {name}"].append(mape(yb, Fb[:, 0]))
                if rep == "embeddings":  # the second model, with neighbour features
                    Fa = nf.transform(Xa)
                    enc = target_encoder(seed)
                    Ta, Tb = enc.fit_transform(Xa, np.log(ya)), enc.transform(Xb)
                    Fa[:, 0], Fb[:, 0] = np.log(Fa[:, 0]), np.log(Fb[:, 0])
                    second = hgb(seed).fit(np.hstack([Ta, Fa]), np.log(ya))
                    found["TargetEncoder + HGB + neighbour features"].append(
                        mape(yb, np.exp(second.predict(np.hstack([Tb, Fb])))))
            print({k: round(v[-1], 4) for k, v in found.items()}, flush=True)
        for name, res in found.items():
            rows.append((f"New stores: {name} (mean of {len(res)})",
                         float(np.mean(res)), float("nan"), f"std {np.std(res):.4f}"))
            print(rows[-1], flush=True)
        means = pd.Series(np.log(ya)).groupby(Xa["StoreType"].astype(str).to_numpy()).mean()
        base = np.exp(Xb["StoreType"].astype(str).map(means).to_numpy(dtype=float))
        rows.append(("New stores: per-StoreType mean", mape(yb, base), float("nan"), ""))
        print(rows[-1], flush=True)

    print("\n| model | MAPE | fit seconds | note |\n|---|---|---|---|")
    for name, score, seconds, note in rows:
        sec = "" if np.isnan(seconds) else f"{seconds:.0f}"
        print(f"| {name.strip()} | {score:.4f} | {sec} | {note} |")

    if args.figure:
        plot(regs[0].regressor_, Xtr, args.figure)


def plot(reg, Xtr, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    store_type = Xtr.groupby("Store", observed=True)["StoreType"].first()
    for ax, feature in zip(axes, ["State", "Store"], strict=True):
        j = reg._cat_names.index(feature)
        emb = reg.embeddings_[j].astype(np.float64)
        cats = [str(c) for c in reg.categories_[j]]
        centred = emb - emb.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ vt[:2].T
        if feature == "State":
            ax.scatter(xy[:, 0], xy[:, 1], s=30)
            for (x, y), name in zip(xy, cats, strict=True):
                ax.annotate(name, (x, y), fontsize=9, xytext=(3, 3),
                            textcoords="offset points")
        else:
            types = store_type.reindex(cats).astype(str).to_numpy()
            for t in sorted(set(types)):
                m = types == t
                ax.scatter(xy[m, 0], xy[m, 1], s=6, label=f"StoreType {t}")
            # two stores and their five nearest stores (most_similar, cosine)
            where = {c: i for i, c in enumerate(cats)}
            for store, colour in ((cats[0], "black"), (cats[len(cats) // 2], "purple")):
                i = where[store]
                near = [where[str(o)] for o, _ in
                        reg.most_similar("Store", reg.categories_[j][i], topn=5)]
                for k in near:
                    ax.plot([xy[i, 0], xy[k, 0]], [xy[i, 1], xy[k, 1]], color=colour, lw=1.2)
                ax.scatter(xy[near, 0], xy[near, 1], s=60, facecolors="none",
                           edgecolors=colour, linewidths=1.5)
                ax.scatter(xy[i, 0], xy[i, 1], s=160, marker="*", color=colour, zorder=5)
                ax.annotate(f"store {store} and its 5 nearest stores", xy[i], fontsize=8,
                            color=colour, xytext=(6, 6), textcoords="offset points",
                            bbox=dict(boxstyle="round", fc="white", alpha=0.8))
            ax.legend(markerscale=3, fontsize=8)
        ax.set_title(f"{feature} embeddings ({emb.shape[1]}-d), first two principal axes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure saved to {path}")


if __name__ == "__main__":
    main()
