"""Next-item recommendation: skembed against the baselines a practitioner
would try, and search speed.

Quality (``--part quality``), HR@10 / NDCG@10 / MRR@10 over the full
catalogue, fit and predict seconds:

- MovieLens-100K: each user's ratings ordered by time; the last one is the
  target, the rest is both the training sequence and the query history;
  seen items excluded.
- YooChoose 1/64: train + valid sessions for training; each test session's
  prefix predicts its last click; seen items allowed.

Baselines, implemented here independently of skembed's code (dense numpy /
scipy.sparse): most popular; sequential rules (rule a->b weighted 1/gap for
gaps up to 5, query = last item, popular fill); symmetric co-occurrence
(window 5, query = last item); session-kNN (k=100 neighbour sequences by
cosine over item sets, last 20 items); implicit ALS (64 factors, history
recalculated as a user; best of a small grid scored on the test split, an
optimistic baseline); gensim item2vec (``ItemSequenceEmbedder``'s defaults,
best of last-item / mean-profile cosine query, median of 3 seeds).  Then
skembed: each recommender with its defaults, ``NearestNeighborRecommender``
with only threads and seed set (median of 3 seeds), and tuned by
``GridSearchCV(cv=3)`` on a validation split (MovieLens: second-to-last
item; YooChoose: last item of the training sessions), refitted on the
training data and scored on the test split.

Protocol (``--part protocol``): the session-based protocol of Ludewig et
al. (2021, session-rec) on YooChoose 1/64 (train + valid sessions for
training; every prefix of each test session predicts its next item and the
rest of the session; :func:`skembed.model_selection.evaluate_next_items`):
HR / MRR / P / R / MAP at 5, 10, 20, coverage and popularity at 20, for
most-popular (beside its published figure), session popularity (S-POP),
item-kNN on the last item, and skembed's recommenders with their defaults.

Throughput (``--part throughput``): recommendations per second of each
recommender over a synthetic catalogue of ``--items`` items (100,000;
``--exact`` adds the blend's dense ``scoring="exact"`` and the share of
rows with the same lists).

Speed (``--part speed``): 10,000 queries top-10 over 100,000 random items x
64 dims, skembed's exact kernel vs ``sklearn.neighbors.NearestNeighbors(
algorithm="brute", metric="cosine")``, median of 3; with ``--ann`` also
pynndescent recall@10 against exact search at 1,000,000 items (``--part
ann``: that part alone), on clustered low-dimensional vectors shaped like
learned item vectors (:func:`clustered_vectors`) and, as the worst case, on
isotropic random Gaussian vectors, for each NNDescent ``n_neighbors`` in
``--ann-neighbors`` and query ``epsilon`` in ``--ann-epsilon``.

Usage::

    pip install -e ".[bench]"      # gensim, implicit
    python benchmarks/recommender.py --data ../shared/data --part quality
    python benchmarks/recommender.py --data ../shared/data --part protocol
    python benchmarks/recommender.py --part throughput
    python benchmarks/recommender.py --part speed [--ann]
    python benchmarks/recommender.py --part ann [--ann-items 200000]
        [--ann-data clustered] [--ann-neighbors 30 60] [--ann-epsilon 0.1 0.2]
"""

import argparse
import statistics
import time

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV

from skembed import (
    ItemSequenceEmbedder,
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
)
from skembed.datasets import load_movielens_sequences, load_yoochoose
from skembed.metrics import hit_rate_at_k, mrr, ndcg_at_k

K = 10
SEEDS = (0, 1, 2)
N_JOBS = 2
# GridSearchCV over documented parameters of NearestNeighborRecommender
# (weights stay "auto": chosen inside each fit on its own validation split)
GRID = {
    "rules__half_life": [0.5, 1.0, 2.0],
    "session_knn__k": [50, 200],
    "profile_half_life": [2.0, 10.0],
}


def evaluate(recs, y):
    return dict(hr=hit_rate_at_k(y, recs, K), ndcg=ndcg_at_k(y, recs, K),
                mrr=mrr(y, recs, K))


# -- baselines on an integer catalogue ------------------------------------------
class Encoded:
    """Training sequences and queries as integer arrays over one catalogue."""

    def __init__(self, train, X):
        items = sorted({i for s in train for i in s})
        self.items = np.array(items, dtype=object)
        index = {i: n for n, i in enumerate(items)}
        self.train = [np.array([index[i] for i in s], np.int64) for s in train]
        self.X = [np.array([index[i] for i in h if i in index], np.int64) for h in X]
        self.n = len(items)
        self.pop = np.bincount(np.concatenate(self.train), minlength=self.n).astype(float)

    def last(self):
        return np.array([h[-1] if len(h) else -1 for h in self.X])

    def pairs(self, window, weight):
        rows, cols, vals = [], [], []
        for s in self.train:
            for gap in range(1, window + 1):
                if len(s) <= gap:
                    break
                rows.append(s[:-gap])
                cols.append(s[gap:])
                vals.append(np.full(len(s) - gap, weight(gap)))
        rows, cols, vals = (np.concatenate(a) for a in (rows, cols, vals))
        return sp.csr_matrix((vals, (rows, cols)), shape=(self.n, self.n))

    def top_k(self, score_rows, exclude_seen, block=1024):
        """Top-K ids from a function giving dense scores of query rows
        [a, b); zero-score ties go to popular items."""
        tiebreak = 1e-9 * self.pop / self.pop.max()
        out = []
        for a in range(0, len(self.X), block):
            b = min(a + block, len(self.X))
            scores = np.asarray(score_rows(a, b), dtype=np.float64) + tiebreak
            if exclude_seen:
                for r in range(a, b):
                    scores[r - a, self.X[r]] = -np.inf
            top = np.argpartition(-scores, K, axis=1)[:, :K]
            order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable")
            out.extend(self.items[np.take_along_axis(top, order, 1)].tolist())
        return out


def by_last_item(enc, matrix):
    last = enc.last()

    def rows(a, b):
        out = matrix[np.maximum(last[a:b], 0)].toarray()
        out[last[a:b] < 0] = 0
        return out

    return rows


def baseline_popularity(enc, exclude_seen):
    return enc.top_k(lambda a, b: np.tile(enc.pop, (b - a, 1)), exclude_seen)


def baseline_rules(enc, exclude_seen):
    return enc.top_k(by_last_item(enc, enc.pairs(5, lambda g: 1.0 / g)), exclude_seen)


def baseline_cooccurrence(enc, exclude_seen):
    m = enc.pairs(5, lambda g: 1.0)
    return enc.top_k(by_last_item(enc, m + m.T), exclude_seen)


def baseline_session_knn(enc, exclude_seen, k=100, last=20):
    rows = np.repeat(np.arange(len(enc.train)), [len(s) for s in enc.train])
    b = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(enc.train))),
                      shape=(len(enc.train), enc.n))
    b.data[:] = 1.0
    norms = np.sqrt(np.asarray(b.sum(axis=1)).ravel())
    bt = b.T.tocsr()

    def scores(a, z):
        out = np.zeros((z - a, enc.n))
        for r in range(a, z):
            h = np.unique(enc.X[r][-last:])
            if not len(h):
                continue
            sims = np.asarray(bt[h].sum(axis=0)).ravel() / (norms * np.sqrt(len(h)) + 1e-12)
            top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
            top = top[sims[top] > 0]
            out[r - a] = b[top].T @ sims[top]
        return out

    return enc.top_k(scores, exclude_seen)


def baseline_als(enc, exclude_seen):
    import implicit
    from threadpoolctl import threadpool_limits

    rows = np.repeat(np.arange(len(enc.train)), [len(s) for s in enc.train])
    user_items = sp.csr_matrix((np.ones(len(rows), np.float32),
                                (rows, np.concatenate(enc.train))),
                               shape=(len(enc.train), enc.n))
    qrows = np.repeat(np.arange(len(enc.X)), [len(h) for h in enc.X])
    queries = sp.csr_matrix((np.ones(len(qrows), np.float32), (qrows, np.concatenate(enc.X))),
                            shape=(len(enc.X), enc.n))
    best = None
    for reg in (0.01, 0.1):
        for alpha in (1.0, 10.0):
            with threadpool_limits(1, "blas"):
                model = implicit.cpu.als.AlternatingLeastSquares(
                    factors=64, regularization=reg, alpha=alpha, iterations=15,
                    random_state=0, num_threads=N_JOBS)
                model.fit(user_items, show_progress=False)
                users = model.recalculate_user(np.arange(len(enc.X)), queries)
            recs = enc.top_k(lambda a, b, u=users, m=model: u[a:b] @ m.item_factors.T,
                             exclude_seen)
            if best is None or recs_hr(recs) > recs_hr(best[0]):
                best = (recs, f"regularization={reg}, alpha={alpha}")
    return best


def recs_hr(recs):
    return hit_rate_at_k(_Y, recs, K)


def baseline_gensim(train, enc, exclude_seen, seed):
    from gensim.models import Word2Vec

    d = ItemSequenceEmbedder()
    model = Word2Vec([[str(i) for i in s] for s in train], vector_size=d.vector_size,
                     window=d.window, sg=1, negative=d.negative, ns_exponent=d.ns_exponent,
                     sample=d.sample, min_count=1, alpha=d.alpha, min_alpha=d.min_alpha,
                     epochs=d.epochs, workers=1, seed=seed)
    vecs = np.zeros((enc.n, d.vector_size))
    for n, item in enumerate(enc.items):
        vecs[n] = model.wv[str(item)]
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    results = {}
    for query in ("last", "mean"):
        def scores(a, b, query=query):
            q = np.zeros((b - a, d.vector_size))
            for r in range(a, b):
                h = enc.X[r]
                if len(h):
                    q[r - a] = unit[h[-1]] if query == "last" else unit[h].mean(axis=0)
            return q @ unit.T
        results[query] = enc.top_k(scores, exclude_seen)
    return max(results.items(), key=lambda kv: recs_hr(kv[1]))


_Y = None


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def run_dataset(name, train, test_X, test_y, val_X, val_y, exclude_seen):
    global _Y
    _Y = test_y
    print(f"\n== {name}: {len(train)} training sequences, {len(test_X)} test queries "
          f"(seen items {'excluded' if exclude_seen else 'allowed'})", flush=True)
    rows = []

    def add(label, recs, fit_s=None, predict_s=None, note=""):
        m = evaluate(recs, test_y)
        rows.append((label, m, fit_s, predict_s, note))
        print(f"  {label}: HR@10 {m['hr']:.4f} {note}", flush=True)

    enc, t_enc = timed(Encoded, train, test_X)
    for label, fn in (("most popular", baseline_popularity),
                      ("sequential rules (1/gap, window 5, last item)", baseline_rules),
                      ("co-occurrence (symmetric, window 5, last item)",
                       baseline_cooccurrence),
                      ("session-kNN (k=100, cosine, last 20 items)", baseline_session_knn)):
        recs, secs = timed(fn, enc, exclude_seen)
        add(label, recs, None, secs + t_enc)
    try:
        (recs, note), secs = timed(baseline_als, enc, exclude_seen)
        add("implicit ALS (64 factors, best of 4 on test)", recs, None, secs, note)
    except ImportError:
        print("  (implicit not installed: no ALS row; pip install -e '.[bench]')")
    try:
        runs = [timed(baseline_gensim, train, enc, exclude_seen, seed) for seed in SEEDS]
        hrs = [recs_hr(r[0][1]) for r in runs]
        mid = runs[int(np.argsort(hrs)[len(hrs) // 2])]
        add("gensim item2vec (best of last / mean query)", mid[0][1], None, mid[1],
            f"(query {mid[0][0]}; median of {len(SEEDS)} seeds)")
    except ImportError:
        print("  (gensim not installed: no gensim row)")
    n_baselines = len(rows)
    best_baseline = max(r[1]["hr"] for r in rows[1:n_baselines])

    for label, est in (("skembed PopularityRecommender()", PopularityRecommender()),
                       ("skembed SequentialRulesRecommender()", SequentialRulesRecommender()),
                       ("skembed SessionKNNRecommender()", SessionKNNRecommender())):
        est.set_params(n_jobs=N_JOBS)
        _, fit_s = timed(est.fit, train)
        recs, pred_s = timed(est.predict, test_X)
        add(label, recs, fit_s, pred_s)

    runs = []
    for seed in SEEDS:
        est = NearestNeighborRecommender(ItemSequenceEmbedder(n_jobs=N_JOBS, random_state=seed),
                                         n_jobs=N_JOBS, random_state=seed)
        _, fit_s = timed(est.fit, train)
        recs, pred_s = timed(est.predict, test_X)
        runs.append((evaluate(recs, test_y)["hr"], recs, fit_s, pred_s, est.weights_))
    runs.sort(key=lambda r: r[0])
    hr_default, recs, fit_s, pred_s, weights = runs[len(runs) // 2]
    add("skembed NearestNeighborRecommender(), defaults", recs, fit_s, pred_s,
        f"(median of {len(SEEDS)} seeds: {', '.join(f'{r[0]:.4f}' for r in runs)})")
    print(f"    weights_ of the median run: {weights}")

    grid = GridSearchCV(
        NearestNeighborRecommender(ItemSequenceEmbedder(n_jobs=1, random_state=0), n_jobs=1,
                                   random_state=0),
        GRID, cv=3, n_jobs=N_JOBS)
    _, search_s = timed(grid.fit, val_X, val_y)
    tuned = NearestNeighborRecommender(**{**grid.best_estimator_.get_params(deep=False),
                                          "n_jobs": N_JOBS})
    tuned.embedder.set_params(n_jobs=N_JOBS)
    _, fit_s = timed(tuned.fit, train)
    recs, pred_s = timed(tuned.predict, test_X)
    add("skembed NearestNeighborRecommender, GridSearchCV", recs, fit_s, pred_s,
        f"({grid.best_params_}; search {search_s:.0f} s)")

    print(f"\n{'method':52s} {'HR@10':>7s} {'NDCG@10':>8s} {'MRR@10':>7s} {'fit s':>7s} "
          f"{'predict s':>9s}")
    for label, m, fit_s, pred_s, _ in rows:
        f = f"{fit_s:7.1f}" if fit_s is not None else f"{'':7s}"
        p = f"{pred_s:9.2f}" if pred_s is not None else ""
        print(f"{label:52s} {m['hr']:7.4f} {m['ndcg']:8.4f} {m['mrr']:7.4f} {f} {p}")
    print(f"best baseline HR@10 {best_baseline:.4f}; skembed defaults / best baseline "
          f"{hr_default / best_baseline:.3f}; tuned / best baseline "
          f"{rows[-1][1]['hr'] / best_baseline:.3f}")


def quality(args):
    seqs, _, _ = load_movielens_sequences(args.data)
    seqs = [s for s in seqs if len(s) >= 3]
    run_dataset("MovieLens-100K (last rating of each user)",
                train=[s[:-1] for s in seqs], test_X=[s[:-1] for s in seqs],
                test_y=[s[-1] for s in seqs], val_X=[s[:-2] for s in seqs],
                val_y=[s[-2] for s in seqs], exclude_seen=True)
    train, _ = load_yoochoose(args.data, "train")
    valid, _ = load_yoochoose(args.data, "valid")
    test, _ = load_yoochoose(args.data, "test")
    train = [s for s in train + valid if len(s)]
    test = [s for s in test if len(s) >= 2]
    tuning = [s for s in train if len(s) >= 2]
    run_dataset("YooChoose 1/64 (last click of each test session)",
                train=train, test_X=[s[:-1] for s in test], test_y=[s[-1] for s in test],
                val_X=[s[:-1] for s in tuning], val_y=[s[-1] for s in tuning],
                exclude_seen=False)


# Wu et al. 2019 (SR-GNN), Table 2, YooChoose 1/64, every prefix of the test
# sessions: most popular P@20 (= HR@20) 6.71 %, MRR@20 1.65 %
PUBLISHED_POP = {"HR@20": 0.0671, "MRR@20": 0.0165}


class ListRecommender:
    """A baseline as a recommender for ``evaluate_next_items``: ``rank(h)``
    gives a history's list."""

    def __init__(self, train, rank):
        from collections import Counter

        self.counts = Counter(i for s in train for i in s)
        self.items_ = np.array(list(self.counts))
        self.item_counts_ = np.array(list(self.counts.values()))
        self.rank = rank

    def fit(self, train):
        return self

    def recommend(self, X, n):
        return [self.rank(self, h, n) for h in X]


def popular_fill(model, head, n):
    if not hasattr(model, "popular"):
        model.popular = [i for i, _ in model.counts.most_common()]
    seen = set(head)
    return head + [i for i in model.popular[:n + len(head)] if i not in seen][:n - len(head)]


def spop(model, h, n):
    """Session popularity: the history's items by their count in it (ties:
    training count), then the most popular."""
    from collections import Counter

    c = Counter(h)
    return popular_fill(model, sorted(c, key=lambda i: (-c[i], -model.counts[i]))[:n], n)


def item_knn(train):
    """Item-kNN: cosine of the last item to every item over training sessions."""
    model = ListRecommender(train, None)
    index = {i: n for n, i in enumerate(model.items_.tolist())}
    rows = np.repeat(np.arange(len(train)), [len(set(s)) for s in train])
    cols = np.concatenate([[index[i] for i in set(s)] for s in train])
    b = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(train), len(index)))
    c = (b.T @ b).tocsr()
    d = 1 / np.sqrt(c.diagonal())
    c.setdiag(0)
    sim = (sp.diags(d) @ c @ sp.diags(d)).tocsr()

    def rank(m, h, n):
        if not h or h[-1] not in index:
            return popular_fill(m, [], n)
        row = sim[index[h[-1]]]
        order = np.argsort(-row.data, kind="stable")[:n]
        return popular_fill(m, m.items_[row.indices[order]].tolist(), n)

    model.rank = rank
    return model


def protocol(args):
    from skembed.model_selection import evaluate_next_items

    train, _ = load_yoochoose(args.data, "train")
    valid, _ = load_yoochoose(args.data, "valid")
    test, _ = load_yoochoose(args.data, "test")
    train = [s for s in train + valid if s]
    print(f"\nprotocol: YooChoose 1/64, {len(train):,} training sessions, {len(test):,} test "
          f"sessions, every prefix predicts its next item and the rest; {N_JOBS} threads")
    rows = [("most popular", ListRecommender(train, lambda m, h, n: popular_fill(m, [], n))),
            ("S-POP (session popularity)", ListRecommender(train, spop)),
            ("item-kNN (cosine, last item)", item_knn(train))]
    rows += [(f"skembed {type(e).__name__}()", e.set_params(n_jobs=N_JOBS))
             for e in (PopularityRecommender(), SequentialRulesRecommender(),
                       SessionKNNRecommender())]
    rows.append(("skembed NearestNeighborRecommender()",
                 NearestNeighborRecommender(n_jobs=N_JOBS, random_state=0)))
    names = ["HR@5", "HR@10", "HR@20", "MRR@10", "MRR@20", "P@20", "R@20", "MAP@20",
             "coverage@20", "popularity@20"]
    print(f"{'method':40s} " + " ".join(f"{n:>9s}" for n in names) + "    s")
    for label, est in rows:
        t0 = time.perf_counter()
        m = evaluate_next_items(est, train, test, k=(5, 10, 20))
        print(f"{label:40s} " + " ".join(f"{m[n]:9.4f}" for n in names)
              + f" {time.perf_counter() - t0:5.1f}", flush=True)
        if label == "most popular":
            print(f"{'  published (SR-GNN, Table 2)':40s} {'':9s} {'':9s} "
                  f"{PUBLISHED_POP['HR@20']:9.4f} {'':9s} {PUBLISHED_POP['MRR@20']:9.4f}")


def synthetic_sessions(n_sessions, n_items=100_000, cluster_size=100, seed=0):
    """Sessions over ``n_items`` items in clusters of ``cluster_size``: a
    session picks a cluster (Zipf-like popularity) and walks through items of
    it (Zipf-like within the cluster), 2 + Geometric(0.3) clicks long."""
    rng = np.random.RandomState(seed)
    n_clusters = n_items // cluster_size
    cp = 1.0 / np.arange(1, n_clusters + 1) ** 0.8
    ip = 1.0 / np.arange(1, cluster_size + 1) ** 0.8
    clusters = rng.choice(n_clusters, n_sessions, p=cp / cp.sum())
    lengths = 2 + rng.geometric(0.3, n_sessions)
    members = rng.choice(cluster_size, int(lengths.sum()), p=ip / ip.sum())
    items = np.repeat(clusters, lengths) * cluster_size + members
    return [s.tolist() for s in np.split(items, np.cumsum(lengths)[:-1])]


def throughput(args):
    """Recommendations per second over a catalogue of ``--items`` items (the
    blend both two-stage, its default, and exact, with the share of rows
    whose lists are the same)."""
    sessions = synthetic_sessions(args.sessions + 10_000, n_items=args.items,
                                  cluster_size=args.cluster_size)
    train, queries = sessions[:args.sessions], [s[:-1] for s in sessions[args.sessions:]]
    n_items = len({i for s in train for i in s})
    print(f"\nthroughput: {len(train):,} synthetic sessions "
          f"({sum(map(len, train)):,} clicks, {n_items:,} items, clusters of "
          f"{args.cluster_size:,}); "
          f"{len(queries):,} histories, top-10, {N_JOBS} threads, median of 3")
    print(f"{'recommender':40s} {'fit s':>7s} {'recs/s':>9s}")
    blend, blend_label = NearestNeighborRecommender(random_state=0), "NearestNeighborRecommender()"
    if args.blend_weights:
        # fixed weights (no validation fit) and a shorter item2vec training: the
        # serving cost depends on neither
        weights = {f"{k}_weight": float(v) for k, v in
                   (kv.split("=") for kv in args.blend_weights.split(","))}
        blend.set_params(embedder=ItemSequenceEmbedder(epochs=args.blend_epochs,
                                                       random_state=0), **weights)
        blend_label = f"NearestNeighborRecommender(fixed weights, {args.blend_epochs} epochs)"
    components = [("PopularityRecommender()", PopularityRecommender()),
                  ("SequentialRulesRecommender()", SequentialRulesRecommender()),
                  ("SessionKNNRecommender()", SessionKNNRecommender())]
    if args.blend_only:
        components = []
    for label, est in components + [(blend_label, blend)]:
        est.set_params(n_jobs=N_JOBS)
        if est is blend and args.blend_weights:
            est.embedder.set_params(n_jobs=N_JOBS)
        _, fit_s = timed(est.fit, train)
        est.predict(queries[:10])
        times = [timed(est.predict, queries)[1] for _ in range(3)]
        print(f"{label:40s} {fit_s:7.1f} {len(queries) / statistics.median(times):9,.0f}",
              flush=True)
    # serving cost follows the weights the validation search chose (a zero
    # weight skips its component's candidates)
    print(f"  blend weights_: {blend.weights_}", flush=True)
    if args.exact:
        fast = est.predict(queries)
        est.set_params(scoring="exact")
        est.predict(queries[:10])
        times = [timed(est.predict, queries)[1] for _ in range(3)]
        exact = est.predict(queries)
        label = '  scoring="exact"'
        print(f"{label:40s} {'':7s} "
              f"{len(queries) / statistics.median(times):9,.0f}   same lists on "
              f"{np.mean((fast == exact).all(axis=1)):.1%} of rows; weights {est.weights_}",
              flush=True)


def speed(args):
    from sklearn.neighbors import NearestNeighbors

    from skembed.topk import exact_top_k

    rng = np.random.RandomState(0)
    items = rng.randn(100_000, 64).astype(np.float32)
    queries = rng.randn(10_000, 64).astype(np.float32)
    unit = items / np.linalg.norm(items, axis=1, keepdims=True)
    exact_top_k(queries[:10] / 1.0, unit, K, n_threads=2)  # compile/load outside the timing
    ours, theirs = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        # the recommender stores unit item vectors at fit; queries are normalised per call
        q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        idx, _ = exact_top_k(q, unit, K, n_threads=2)
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
        exact, _ = exact_top_k(q, items, K, n_threads=2)
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
    p.add_argument("--data", default=None)
    p.add_argument("--part", choices=["quality", "protocol", "throughput", "speed", "ann",
                                      "all"],
                   default="all")
    p.add_argument("--sessions", type=int, default=300_000,
                   help="training sessions of the throughput part")
    p.add_argument("--items", type=int, default=100_000,
                   help="catalogue size of the throughput part's sessions")
    p.add_argument("--blend-weights", default=None,
                   help="throughput: fix the blend's weights (e.g. rules=0.5,session_knn=0,"
                        "cosine=0.25,output=2,popularity=1,repeat=0) instead of tuning them")
    p.add_argument("--blend-epochs", type=int, default=2,
                   help="item2vec epochs of the blend with --blend-weights")
    p.add_argument("--blend-only", action="store_true",
                   help="throughput: the blend alone, not the single recommenders")
    p.add_argument("--exact", action="store_true",
                   help="throughput: also the blend with scoring='exact' (dense)")
    p.add_argument("--cluster-size", type=int, default=100,
                   help="items per cluster of the throughput part's sessions (100,000: "
                        "one Zipf catalogue, where popular items co-occur with thousands)")
    p.add_argument("--ann", action="store_true", help="also measure pynndescent recall")
    p.add_argument("--ann-items", type=int, default=1_000_000)
    p.add_argument("--ann-queries", type=int, default=10_000)
    p.add_argument("--ann-data", nargs="+", choices=["clustered", "gaussian"],
                   default=["clustered", "gaussian"])
    p.add_argument("--ann-neighbors", type=int, nargs="+", default=[30],
                   help="NNDescent n_neighbors values to build")
    p.add_argument("--ann-epsilon", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4],
                   help="query epsilon values per index")
    args = p.parse_args()
    if args.part in ("speed", "all"):
        speed(args)
    elif args.part == "ann":  # the pynndescent part of --part speed --ann alone
        ann(args, np.random.RandomState(0))
    if args.part in ("throughput", "all"):
        throughput(args)
    if args.part in ("quality", "all"):
        quality(args)
    if args.part in ("protocol", "all"):
        protocol(args)


if __name__ == "__main__":
    main()
