"""Next-item recommendation quality and exact-search speed.

Quality (``--part quality``), on MovieLens-100K (leave the last rated movie
of each user out, ``exclude_seen=True``) and YooChoose 1/64 (predict the
last click of each test session from its prefix, ``exclude_seen=False``):
HR@10, NDCG@10 and MRR of

- the most-popular baseline,
- an item co-occurrence baseline (counts within the same window, same
  query rule),
- gensim Word2Vec on the same sequences and hyper-parameters, queried by the
  same code (mean of 3 seeds),
- skembed ``NearestNeighborRecommender()`` with defaults (mean of 3 seeds),
- skembed tuned by ``GridSearchCV`` on a validation split.

On YooChoose it also reports the share of each item's 10 nearest items that
share its category, against chance.

Speed (``--part speed``): 10,000 queries top-10 over 100,000 random items x
64 dims, skembed's exact kernel vs ``sklearn.neighbors.NearestNeighbors(
algorithm="brute", metric="cosine")``, median of 3; with ``--ann`` also
pynndescent recall@10 against exact search at 1,000,000 items (``--part
ann``: that part alone), on clustered low-dimensional vectors shaped like
learned item vectors (:func:`clustered_vectors`) and, as the worst case, on
isotropic random Gaussian vectors, for each NNDescent ``n_neighbors`` in
``--ann-neighbors`` and query ``epsilon`` in ``--ann-epsilon``.

Usage::

    python benchmarks/recommender.py --data ../shared/data --part quality
    python benchmarks/recommender.py --part speed [--ann]
    python benchmarks/recommender.py --part ann [--ann-items 200000]
        [--ann-data clustered] [--ann-neighbors 30 60] [--ann-epsilon 0.1 0.2]
"""

import argparse
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV

from skembed import ItemSequenceEmbedder, KeyedVectors, NearestNeighborRecommender
from skembed.datasets import load_movielens_sequences, load_yoochoose
from skembed.metrics import hit_rate_at_k, mrr, ndcg_at_k

K = 10
SEEDS = (0, 1, 2)
GRID = {
    "embedder__window": [3, 10],
    "embedder__ns_exponent": [-0.5, 0.75],
    "query": ["profile", "last"],
    "scoring": ["cosine", "output"],
}


class GensimItemEmbedder(ItemSequenceEmbedder):
    """gensim's Word2Vec behind the ItemSequenceEmbedder interface, so that
    profiles and search are computed by exactly the same code."""

    def fit(self, X, y=None):
        from gensim.models import Word2Vec

        sequences = [[str(i) for i in s] for s in X if len(s)]
        window = max(map(len, sequences)) if self.window == "all" else self.window
        model = Word2Vec(sequences, vector_size=self.vector_size, window=window, sg=int(self.sg),
                         hs=int(self.hs), negative=self.negative, ns_exponent=self.ns_exponent,
                         sample=self.sample, min_count=self.min_count, alpha=self.alpha,
                         min_alpha=self.min_alpha, epochs=self.epochs,
                         shrink_windows=self.shrink_windows, workers=1,
                         seed=self.random_state or 0)
        keys = [int(k) for k in model.wv.index_to_key]
        counts = [model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key]
        self.wv_ = KeyedVectors(keys, model.wv.vectors, counts)
        self.item_counts_ = np.asarray(counts)
        self.output_vectors_ = model.syn1neg if self.negative > 0 else None
        self.loss_history_ = []
        return self


def evaluate(recs, y):
    return dict(hr=hit_rate_at_k(y, recs, K), ndcg=ndcg_at_k(y, recs, K), mrr=mrr(y, recs, K))


def popularity(train, X, exclude_seen):
    counts = {}
    for s in train:
        for i in s:
            counts[i] = counts.get(i, 0) + 1
    ranked = sorted(counts, key=lambda i: -counts[i])
    out = []
    for h in X:
        seen = set(h) if exclude_seen else set()
        out.append([i for i in ranked[:K + len(seen)] if i not in seen][:K])
    return out


def cooccurrence(train, X, exclude_seen, window=5, query="profile"):
    """Score candidates by co-occurrence counts (within ``window`` positions)
    with the history items (all of them, or the last one)."""
    items = sorted({i for s in train for i in s})
    index = {i: n for n, i in enumerate(items)}
    rows, cols = [], []
    for s in train:
        ids = [index[i] for i in s]
        for p, a in enumerate(ids):
            for b in ids[max(0, p - window):p]:
                rows += [a, b]
                cols += [b, a]
    n = len(items)
    cooc = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))
    cooc.setdiag(0)
    pop = np.asarray(cooc.sum(axis=1)).ravel()
    out = []
    for h in X:
        known = [index[i] for i in h if i in index]
        if query == "last":
            known = known[-1:]
        scores = np.asarray(cooc[known].sum(axis=0)).ravel() if known else np.zeros(n)
        scores = scores + 1e-6 * pop / max(pop.max(), 1)  # popularity breaks ties
        if exclude_seen:
            scores[known] = -np.inf
            scores[[index[i] for i in h if i in index]] = -np.inf
        top = np.argsort(-scores, kind="stable")[:K]
        out.append([items[t] for t in top])
    return out


def category_share(rec, category, n=10):
    kv = rec.embedder_.wv_
    items = kv.index_to_key
    ids, _ = rec.similar_items(items, n=n)
    cats = np.array([category[i] for i in items])
    share = np.mean([[category[j] == category[i] for j in row] for i, row in zip(items, ids,
                                                                               strict=True)])
    counts = np.bincount(cats)
    chance = np.mean((counts[cats] - 1) / (len(items) - 1))
    return share, chance


def run_dataset(name, train_X, train_y, test_X, test_y, val_X, val_y, exclude_seen,
                category=None, n_jobs=2):
    print(f"\n== {name}: {len(train_X)} training histories, {len(test_X)} test queries, "
          f"exclude_seen={exclude_seen}")
    train_full = [h + [t] for h, t in zip(train_X, train_y, strict=True)]
    rows = []
    t0 = time.perf_counter()
    rows.append(("most popular", evaluate(popularity(train_full, test_X, exclude_seen), test_y)))
    rows.append(("co-occurrence (window 5)",
                 evaluate(cooccurrence(train_full, test_X, exclude_seen), test_y)))
    for label, cls in (("gensim Word2Vec, same settings", GensimItemEmbedder),
                       ("skembed defaults", ItemSequenceEmbedder)):
        runs = []
        for seed in SEEDS:
            rec = NearestNeighborRecommender(cls(random_state=seed, n_jobs=1),
                                             n_recommendations=K, exclude_seen=exclude_seen)
            rec.fit(train_X, train_y)
            runs.append(evaluate(rec.predict(test_X), test_y))
        rows.append((f"{label} (mean of {len(SEEDS)} seeds)",
                     {k: float(np.mean([r[k] for r in runs])) for k in runs[0]},
                     {k: float(np.std([r[k] for r in runs])) for k in runs[0]}))
    grid = GridSearchCV(
        NearestNeighborRecommender(ItemSequenceEmbedder(random_state=0),
                                   n_recommendations=K, exclude_seen=exclude_seen),
        GRID, cv=3, n_jobs=n_jobs)
    grid.fit(val_X, val_y)
    best = grid.best_estimator_
    tuned = NearestNeighborRecommender(**{**best.get_params(deep=False),
                                          "embedder": best.embedder})
    tuned.fit(train_X, train_y)
    rows.append(("skembed tuned (GridSearchCV)", evaluate(tuned.predict(test_X), test_y)))
    print(f"{'method':44s} {'HR@10':>7s} {'NDCG@10':>8s} {'MRR':>7s}")
    for row in rows:
        label, m = row[0], row[1]
        sd = f"  (sd HR {row[2]['hr']:.4f})" if len(row) > 2 else ""
        print(f"{label:44s} {m['hr']:7.4f} {m['ndcg']:8.4f} {m['mrr']:7.4f}{sd}")
    pop_hr = rows[0][1]["hr"]
    print(f"tuned / popularity HR@10: {rows[-1][1]['hr'] / pop_hr:.2f}x; best params: "
          f"{grid.best_params_} (validation HR@10 {grid.best_score_:.4f}); "
          f"{time.perf_counter() - t0:.0f}s")
    if category is not None:
        share, chance = category_share(tuned, category)
        print(f"share of the 10 nearest items in the same category: {share:.3f} "
              f"(chance {chance:.3f})")


def quality(args):
    seqs, _, _ = load_movielens_sequences(args.data)
    seqs = [s for s in seqs if len(s) >= 3]
    run_dataset(
        "MovieLens-100K (leave last out)",
        train_X=[s[:-2] for s in seqs], train_y=[s[-2] for s in seqs],
        test_X=[s[:-1] for s in seqs], test_y=[s[-1] for s in seqs],
        val_X=[s[:-2] for s in seqs], val_y=[s[-2] for s in seqs],
        exclude_seen=True, n_jobs=args.n_jobs)
    train, category = load_yoochoose(args.data, "train")
    test, _ = load_yoochoose(args.data, "test")
    train = [s for s in train if len(s) >= 2]
    test = [s for s in test if len(s) >= 2]
    run_dataset(
        "YooChoose 1/64 (last click of test sessions)",
        train_X=[s[:-1] for s in train], train_y=[s[-1] for s in train],
        test_X=[s[:-1] for s in test], test_y=[s[-1] for s in test],
        val_X=[s[:-1] for s in train], val_y=[s[-1] for s in train],
        exclude_seen=False, category=category, n_jobs=args.n_jobs)


def speed(args):
    import numba
    from sklearn.neighbors import NearestNeighbors

    from skembed.topk import exact_top_k

    rng = np.random.RandomState(0)
    items = rng.randn(100_000, 64).astype(np.float32)
    queries = rng.randn(10_000, 64).astype(np.float32)
    numba.set_num_threads(2)
    unit = items / np.linalg.norm(items, axis=1, keepdims=True)
    exact_top_k(queries[:10] / 1.0, unit, K)  # compile/load outside the timing
    ours, theirs = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        # the recommender stores unit item vectors at fit; queries are normalised per call
        q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        idx, _ = exact_top_k(q, unit, K)
        ours.append(time.perf_counter() - t0)
        nn = NearestNeighbors(n_neighbors=K, algorithm="brute", metric="cosine", n_jobs=2)
        nn.fit(items)
        t0 = time.perf_counter()
        _, ref = nn.kneighbors(queries)
        theirs.append(time.perf_counter() - t0)
    agree = np.mean([len(set(a) & set(b)) / K for a, b in zip(idx, ref, strict=True)])
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"10,000 queries, top-10 of 100,000 x 64 (median of 3): skembed {o:.3f}s, "
          f"sklearn brute cosine {t:.3f}s -> {t / o:.1f}x faster; result overlap {agree:.4f}")
    if args.ann:
        ann(args, rng)


def clustered_vectors(n, dim=64, latent=32, cluster_size=500, spread=0.4, offset=8.0,
                      noise=0.15, seed=0):
    """``n`` vectors shaped like learned item embeddings.

    Learned item vectors are clustered, have a low intrinsic dimension and
    share a common direction: the 5,396 YooChoose item vectors of
    ``ItemSequenceEmbedder()`` (defaults) need 5 / 15 / 23 principal
    components for 50 / 80 / 90 % of the variance (MovieLens: 3 / 7 / 11);
    an item's nearest neighbour has cosine 0.98, a random pair 0.6.  The
    generator: ``n // cluster_size`` cluster centres drawn from N(0, I) in a
    ``latent``-dimensional space, cluster sizes Zipf-like (weight of cluster
    r proportional to r^-0.8, so popular categories are large), points =
    centre + ``spread`` * N(0, I), mapped to ``dim`` dimensions by a random
    Gaussian matrix (scaled by 1/sqrt(latent)), plus a shared offset of norm
    ``offset`` along one direction, plus isotropic noise ``noise`` *
    N(0, I_dim).  With the defaults at 50,000 points (seed 1): 6 / 14 / 20
    components for 50 / 80 / 90 % of the variance, nearest-neighbour cosine
    0.96, random pair 0.48.
    """
    rng = np.random.RandomState(seed)
    n_clusters = max(1, n // cluster_size)
    weights = 1.0 / np.arange(1, n_clusters + 1) ** 0.8
    labels = rng.choice(n_clusters, n, p=weights / weights.sum())
    centers = rng.randn(n_clusters, latent).astype(np.float32)
    z = centers[labels] + spread * rng.randn(n, latent).astype(np.float32)
    mix = (rng.randn(latent, dim) / np.sqrt(latent)).astype(np.float32)
    x = z @ mix
    del z
    x += offset * np.ones(dim, np.float32) / np.sqrt(dim)
    x += noise * rng.randn(n, dim).astype(np.float32)
    return x, labels


def ann(args, rng):
    """Recall@10 of pynndescent against exact search, for several settings.

    ``gaussian``: isotropic random vectors, queries = a random item plus
    N(0, 0.1^2 I) noise (worst case for a graph index: no structure).
    ``clustered``: :func:`clustered_vectors`, queries = the normalised mean
    of 1 to 5 items of one cluster (like a history profile).
    """
    from pynndescent import NNDescent

    from skembed.topk import exact_top_k

    # compile pynndescent's numba code outside the timings
    warm = rng.randn(2000, 64).astype(np.float32)
    NNDescent(warm, metric="cosine", n_jobs=2, random_state=0).prepare()
    n, n_q = args.ann_items, args.ann_queries
    for data in args.ann_data:
        if data == "gaussian":
            items = np.random.RandomState(1).randn(n, 64).astype(np.float32)
            items /= np.linalg.norm(items, axis=1, keepdims=True)
            q = items[rng.choice(n, n_q, replace=False)] + 0.1 * rng.randn(n_q, 64)
        else:
            items, labels = clustered_vectors(n, seed=1)
            items /= np.linalg.norm(items, axis=1, keepdims=True)
            members = np.split(np.argsort(labels, kind="stable"),
                               np.cumsum(np.bincount(labels))[:-1])
            q = np.empty((n_q, 64))
            for i, first in enumerate(rng.choice(n, n_q, replace=False)):
                group = members[labels[first]]
                q[i] = items[rng.choice(group, rng.randint(1, 6))].mean(axis=0)
        q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
        t0 = time.perf_counter()
        exact, _ = exact_top_k(q, items, K)
        et = time.perf_counter() - t0
        print(f"\n{data} vectors: {n:,} items x 64, {n_q:,} queries; exact search "
              f"{et:.2f}s", flush=True)
        print(f"{'n_neighbors':>11s} {'epsilon':>7s} {'recall@10':>9s} {'build s':>8s} "
              f"{'query s':>8s}", flush=True)
        for n_neighbors in args.ann_neighbors:
            t0 = time.perf_counter()
            index = NNDescent(items, metric="cosine", n_neighbors=n_neighbors, n_jobs=2,
                              random_state=0)
            index.prepare()
            build = time.perf_counter() - t0
            index.query(q[:10], k=K)
            for eps in args.ann_epsilon:
                t0 = time.perf_counter()
                approx, _ = index.query(q, k=K, epsilon=eps)
                qt = time.perf_counter() - t0
                recall = np.mean([len(set(a) & set(b)) / K
                                  for a, b in zip(exact, approx, strict=True)])
                print(f"{n_neighbors:11d} {eps:7.2f} {recall:9.4f} {build:8.0f} {qt:8.2f}",
                      flush=True)
            del index


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.environ.get("SKEMBED_DATA", "../shared/data"))
    p.add_argument("--part", choices=["quality", "speed", "ann", "all"], default="all")
    p.add_argument("--ann", action="store_true", help="also measure pynndescent recall")
    p.add_argument("--ann-items", type=int, default=1_000_000)
    p.add_argument("--ann-queries", type=int, default=10_000)
    p.add_argument("--ann-data", nargs="+", choices=["clustered", "gaussian"],
                   default=["clustered", "gaussian"])
    p.add_argument("--ann-neighbors", type=int, nargs="+", default=[30],
                   help="NNDescent n_neighbors values to build")
    p.add_argument("--ann-epsilon", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4],
                   help="query epsilon values per index")
    p.add_argument("--n-jobs", type=int, default=2, help="GridSearchCV processes")
    args = p.parse_args()
    if args.part in ("speed", "all"):
        speed(args)
    elif args.part == "ann":  # the pynndescent part of --part speed --ann alone
        ann(args, np.random.RandomState(0))
    if args.part in ("quality", "all"):
        quality(args)


if __name__ == "__main__":
    main()
