"""Next-movie recommendations on MovieLens-100K: skembed's recommenders
against the most-popular baseline, related movies, and a map of the movie
vectors.

Builds one time-ordered sequence of rated movies per user with
``skembed.sequences_from_events``, holds out each user's last movie with
``skembed.model_selection.leave_last_out`` (the history is both the training
sequence and the query, seen movies excluded), and compares HR@10, NDCG@10,
catalogue coverage and popularity bias of ``PopularityRecommender``,
``SequentialRulesRecommender``, ``SessionKNNRecommender`` and
``NearestNeighborRecommender`` (their blend, weights chosen in ``fit``).
Then it lists what the recommender proposes after a few well-known titles
and the most similar movies by item2vec vectors, and saves a t-SNE map of
the movie vectors coloured by genre.

Usage::

    python examples/movielens_recommender.py --data ../shared/data [--out figures]

``--data`` (or ``$SKEMBED_DATA``) must contain ``interactions/ml-100k/``
from MovieLens-100K (https://grouplens.org/datasets/movielens/100k/).
About 40 s on two cores.

Output of one run (2026-11-29)::

    100,000 ratings, 943 users, 1682 movies; median history 65 movies

    held-out last movie of 943 users (seen movies excluded)
    recommender                       HR@10  NDCG@10  coverage  popularity  fit s
    PopularityRecommender            0.0859   0.0449     0.022        5.52    0.1
    SequentialRulesRecommender       0.1962   0.1050     0.288        3.46    0.0
    SessionKNNRecommender            0.1400   0.0730     0.184        4.44    0.0
    NearestNeighborRecommender       0.1994   0.1064     0.208        4.04    2.7
      weights chosen in fit: rules 1, session_knn 1, cosine 1, output 2, popularity 0.25

    after one movie, recommend (rules + session-kNN + item2vec + popularity):
      Star Wars (1977): Return of the Jedi (1983), Empire Strikes Back, The (1980), ...
    most similar by item2vec vectors (cosine):
      Star Wars (1977): Return of the Jedi (1983) 0.93, ...

    share of the 10 nearest movies with a genre in common: 0.66 (random pairs 0.35)
    t-SNE map of 1147 movies saved to figures/movielens_movies.png

(The figures of the last run are printed by the script; docs/benchmarks.md
has the full comparison with sequential rules, session-kNN, ALS and gensim
baselines.)
"""

import argparse
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from skembed import (
    ItemSequenceEmbedder,
    NearestNeighborRecommender,
    PopularityRecommender,
    SequentialRulesRecommender,
    SessionKNNRecommender,
    sequences_from_events,
)
from skembed.datasets import MOVIELENS_GENRES, load_movielens
from skembed.metrics import catalogue_coverage, hit_rate_at_k, ndcg_at_k, popularity_bias
from skembed.model_selection import leave_last_out

K = 10
GENRES = MOVIELENS_GENRES
# genres drawn in colour on the map (a movie is coloured if it has exactly one of them)
SHOWN = ["Children's", "Horror", "Sci-Fi", "Romance", "Documentary", "War"]
TITLES = ["Star Wars (1977)", "Toy Story (1995)", "Scream (1996)", "Fargo (1996)",
          "Sleepless in Seattle (1993)"]


def load(data):
    try:
        ratings, movies, _ = load_movielens(data)
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    return ratings, movies["title"].to_dict(), movies[GENRES]


def genre_map(rec, titles, genres, path, seed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    kv = rec.embedder_.wv_
    counts = dict(zip(rec.items_.tolist(), rec.item_counts_.tolist(), strict=True))
    # movies rated at least 10 times: rarer vectors are mostly noise
    ids = [m for m in kv.index_to_key if counts.get(m, 0) >= 10]
    xy = TSNE(n_components=2, metric="cosine", init="pca", perplexity=30,
              random_state=seed).fit_transform(np.stack([kv[m] for m in ids]))
    g = genres.loc[ids, SHOWN].to_numpy()
    single = g.sum(axis=1) == 1
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.scatter(*xy[~single].T, s=4, c="0.85", label="other / several")
    for j, name in enumerate(SHOWN):
        sel = single & g[:, j]
        ax.scatter(*xy[sel].T, s=9, label=f"{name} ({sel.sum()})")
    for n, title in enumerate(TITLES):
        movie = next((m for m in ids if titles[m] == title), None)
        if movie is not None:
            point = xy[ids.index(movie)]
            ax.scatter(*point, s=30, c="k", marker="x")
            ax.annotate(title, point, xytext=(6, 8 - 16 * (n % 2)),
                        textcoords="offset points", fontsize=8)
    ax.set_title(f"MovieLens-100K: t-SNE of {len(ids)} item2vec movie vectors")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=2, fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return ids


def genre_agreement(rec, genres, ids):
    """Share of each movie's 10 nearest movies with a genre in common, vs random pairs."""
    near, _ = rec.similar_items(ids, n=K)
    g = genres.to_numpy()
    row = {m: i for i, m in enumerate(genres.index)}
    share = np.mean([[(g[row[m]] & g[row[n]]).any() for n in nn]
                     for m, nn in zip(ids, near, strict=True)])
    rng = np.random.RandomState(0)
    a, b = rng.choice(len(ids), 20000), rng.choice(len(ids), 20000)
    chance = np.mean([(g[row[ids[i]]] & g[row[ids[j]]]).any()
                      for i, j in zip(a, b, strict=True) if i != j])
    return share, chance


def show(lines):
    for line in lines:
        print(textwrap.fill(line, width=88, initial_indent="  ", subsequent_indent="      "))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None,
                   help="directory holding interactions/ml-100k/ (default $SKEMBED_DATA)")
    p.add_argument("--out", default=".", help="directory for the figure")
    p.add_argument("--n-jobs", type=int, default=2, help="threads")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    t0 = time.perf_counter()

    ratings, titles, genres = load(args.data)
    sequences, _ = sequences_from_events(ratings, "user", "item", time_col="ts")
    print(f"{len(ratings):,} ratings, {len(sequences)} users, {ratings['item'].nunique()} "
          f"movies; median history {int(np.median([len(s) for s in sequences]))} movies")

    # the last movie of each user is the target; the rest trains and queries
    X, y = leave_last_out(sequences)
    print(f"\nheld-out last movie of {len(X)} users (seen movies excluded)")
    print(f"{'recommender':32s} {'HR@10':>6s} {'NDCG@10':>8s} {'coverage':>9s} "
          f"{'popularity':>11s} {'fit s':>6s}")
    models = [PopularityRecommender(), SequentialRulesRecommender(), SessionKNNRecommender(),
              NearestNeighborRecommender(ItemSequenceEmbedder(n_jobs=args.n_jobs,
                                                              random_state=args.seed),
                                         random_state=args.seed)]
    for rec in models:
        rec.set_params(n_jobs=args.n_jobs)
        start = time.perf_counter()
        rec.fit(X)
        fit_s = time.perf_counter() - start
        recs = rec.predict(X)
        counts = dict(zip(rec.items_.tolist(), rec.item_counts_.tolist(), strict=True))
        print(f"{type(rec).__name__:32s} {hit_rate_at_k(y, recs, K):6.4f} "
              f"{ndcg_at_k(y, recs, K):8.4f} {catalogue_coverage(recs, rec.items_):9.3f} "
              f"{popularity_bias(recs, counts):11.2f} {fit_s:6.1f}")
    rec = models[-1]
    used = ", ".join(f"{k} {v:g}" for k, v in rec.weights_.items() if v)
    print(f"  weights chosen in fit: {used}")

    by_title = {t: m for m, t in titles.items()}
    movies = [by_title[t] for t in TITLES]
    print("\nafter one movie, recommend (rules + session-kNN + item2vec + popularity):")
    nxt = rec.recommend([[m] for m in movies], n=4)
    show(f"{titles[m]}: " + ", ".join(titles[r] for r in row)
         for m, row in zip(movies, nxt, strict=True))
    print("most similar by item2vec vectors (cosine):")
    near, sim = rec.similar_items(movies, n=4)
    show(f"{titles[m]}: " + ", ".join(f"{titles[r]} {s:.2f}" for r, s in zip(row, srow,
                                                                           strict=True))
         for m, row, srow in zip(movies, near, sim, strict=True))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ids = genre_map(rec, titles, genres, out / "movielens_movies.png", args.seed)
    share, chance = genre_agreement(rec, genres, ids)
    print(f"\nshare of the 10 nearest movies with a genre in common: {share:.2f} "
          f"(random pairs {chance:.2f})")
    print(f"t-SNE map of {len(ids)} movies saved to {out / 'movielens_movies.png'}")
    print(f"total {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
