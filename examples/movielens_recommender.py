"""Next-movie recommendations on MovieLens-100K with item2vec.

Builds one time-ordered sequence of rated movies per user with
``skembed.sequences_from_events``, holds out each user's last movie, tunes
a ``NearestNeighborRecommender`` (item2vec embedder) with ``GridSearchCV``
on the second-to-last movie, and compares HR@10, NDCG@10 and MRR on the
held-out movies with the most-popular baseline.  Then it lists the movies
most similar to a few well-known titles and saves a 2-D t-SNE map of the
movie vectors coloured by genre.

Usage::

    python examples/movielens_recommender.py [--data ../shared/data]
        [--figure movielens_movies.png]

``--data`` (default: ``$SKEMBED_DATA`` or ``../shared/data``) must contain
``interactions/ml-100k/u.data`` and ``u.item`` from MovieLens-100K
(https://grouplens.org/datasets/movielens/100k/).  2 to 5 minutes on two
cores shared with other jobs.

Output of one run (2026-11-22; the numbers match the MovieLens rows of
docs/benchmarks.md, which tune the same grid plus ``query``; the last digit
can differ between runs: an earlier run gave MRR 0.0630 and Lost Highway
0.86)::

    100,000 ratings, 943 users, 1682 movies; median history 65 movies
    GridSearchCV(cv=3) over 8 settings, validation HR@10 0.1877
      best: ns_exponent=-0.5, window=10, scoring=output

    held-out last movie of 943 users (seen movies excluded)
    method                           HR@10  NDCG@10     MRR
    most popular                    0.0859   0.0449  0.0326
    item2vec (tuned)                0.1686   0.0876  0.0631
    item2vec / most popular HR@10: 1.96x

    most similar movies (cosine of item vectors):
      Star Wars (1977): Godfather, The (1972) 0.92, Return of the Jedi (1983) 0.92, Boot,
          Das (1981) 0.84, Star Trek: First Contact (1996) 0.81, Toy Story (1995) 0.79
      Toy Story (1995): Close Shave, A (1995) 0.94, Hunchback of Notre Dame, The (1996)
          0.91, Dead Man Walking (1995) 0.87, Matilda (1996) 0.87, Mr. Holland's Opus (1995)
          0.87
      Scream (1996): Liar Liar (1997) 0.87, Air Force One (1997) 0.87, Game, The (1997)
          0.87, Contact (1997) 0.86, Lost Highway (1997) 0.85
      Fargo (1996): Dead Man Walking (1995) 0.94, Lone Star (1996) 0.91, People vs. Larry
          Flynt, The (1996) 0.90, Twelve Monkeys (1995) 0.90, Swingers (1996) 0.89
      Sleepless in Seattle (1993): Dave (1993) 0.96, While You Were Sleeping (1995) 0.95,
          Home for the Holidays (1995) 0.95, Bye Bye, Love (1995) 0.94, Mrs. Winterbourne
          (1996) 0.94

    share of the 10 nearest movies with a genre in common: 0.663 (random pairs 0.347)
    t-SNE map of 1147 movies (>= 10 training ratings) saved to movielens_movies.png
    total 115s

The tuned model scores candidates with the output layer
(``scoring="output"``), which keeps popularity; the cosine neighbours listed
above come from the input vectors and reflect which movies users rated
around the same time (MovieLens ratings are often entered in batches), so
they mix genres more than a content-based list would.  The genre map shows
clear clusters for children's films and horror.
"""

import argparse
import os
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV

from skembed import ItemSequenceEmbedder, NearestNeighborRecommender, sequences_from_events
from skembed.metrics import hit_rate_at_k, mrr, ndcg_at_k

K = 10
GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]
# genres drawn in colour on the map (a movie is coloured if it has exactly one of them)
SHOWN = ["Children's", "Horror", "Sci-Fi", "Romance", "Documentary", "War"]
TITLES = ["Star Wars (1977)", "Toy Story (1995)", "Scream (1996)", "Fargo (1996)",
          "Sleepless in Seattle (1993)"]


def load(data):
    root = Path(data) / "interactions" / "ml-100k"
    if not (root / "u.data").exists() or not (root / "u.item").exists():
        sys.exit(f"MovieLens-100K not found: {root / 'u.data'} and {root / 'u.item'} are "
                 "needed.\nDownload ml-100k.zip from "
                 "https://grouplens.org/datasets/movielens/100k/ (GroupLens) and unzip it "
                 f"into {root.parent} (it holds an ml-100k/ folder), or point --data / "
                 "SKEMBED_DATA at the directory holding interactions/ml-100k/.")
    ratings = pd.read_csv(root / "u.data", sep="\t", names=["user", "item", "rating", "ts"])
    movies = pd.read_csv(root / "u.item", sep="|", header=None, encoding="latin-1")
    movies = movies.set_index(0)
    titles = movies[1].to_dict()
    genres = movies.iloc[:, -len(GENRES):].set_axis(GENRES, axis=1).astype(bool)
    return ratings, titles, genres


def most_popular(train, X):
    counts = pd.Series([i for s in train for i in s]).value_counts()
    ranked = counts.index.tolist()
    out = []
    for h in X:
        seen = set(h)
        out.append([i for i in ranked[:K + len(seen)] if i not in seen][:K])
    return out


def report(label, y, recs):
    print(f"{label:30s} {hit_rate_at_k(y, recs, K):7.4f} {ndcg_at_k(y, recs, K):8.4f} "
          f"{mrr(y, recs, K):7.4f}")
    return hit_rate_at_k(y, recs, K)


def genre_map(rec, titles, genres, counts, path, seed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    kv = rec.embedder_.wv_
    # movies rated at least 10 times in training: rarer vectors are mostly noise
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
    return len(ids)


def genre_agreement(rec, genres, counts):
    """Share of each movie's 10 nearest movies with a genre in common, vs random pairs."""
    kv = rec.embedder_.wv_
    ids = [m for m in kv.index_to_key if counts.get(m, 0) >= 10]
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.environ.get("SKEMBED_DATA", "../shared/data"),
                   help="directory holding interactions/ml-100k/")
    p.add_argument("--figure", default="movielens_movies.png", help="path of the genre map")
    p.add_argument("--n-jobs", type=int, default=2, help="GridSearchCV processes")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    t0 = time.perf_counter()

    ratings, titles, genres = load(args.data)
    sequences, users = sequences_from_events(ratings, "user", "item", time_col="ts")
    print(f"{len(ratings):,} ratings, {len(sequences)} users, {ratings['item'].nunique()} "
          f"movies; median history {int(np.median([len(s) for s in sequences]))} movies")

    # leave the last movie of each user out for the test; the model is trained
    # on the rest (history without its last two movies + the second-to-last
    # as the next item), which also serves as the tuning set
    seqs = [s for s in sequences if len(s) >= 3]
    train_X, train_y = [s[:-2] for s in seqs], [s[-2] for s in seqs]
    test_X, test_y = [s[:-1] for s in seqs], [s[-1] for s in seqs]

    base = NearestNeighborRecommender(
        ItemSequenceEmbedder(random_state=args.seed, n_jobs=1), n_recommendations=K,
        query="last", exclude_seen=True)
    grid = GridSearchCV(base, {
        "embedder__window": [3, 10],
        "embedder__ns_exponent": [-0.5, 0.75],
        "scoring": ["cosine", "output"],
    }, cv=3, n_jobs=args.n_jobs)
    grid.fit(train_X, train_y)  # refit=True: best settings refit on all training users
    best = ", ".join(f"{k.replace('embedder__', '')}={v}" for k, v in grid.best_params_.items())
    print(f"GridSearchCV(cv=3) over {len(grid.cv_results_['params'])} settings, validation "
          f"HR@10 {grid.best_score_:.4f}\n  best: {best}")
    rec = grid.best_estimator_

    print(f"\nheld-out last movie of {len(test_X)} users (seen movies excluded)")
    print(f"{'method':30s} {'HR@10':>7s} {'NDCG@10':>8s} {'MRR':>7s}")
    train_full = [h + [t] for h, t in zip(train_X, train_y, strict=True)]
    pop = report("most popular", test_y, most_popular(train_full, test_X))
    ours = report("item2vec (tuned)", test_y, rec.predict(test_X))
    print(f"item2vec / most popular HR@10: {ours / pop:.2f}x")

    print("\nmost similar movies (cosine of item vectors):")
    by_title = {t: m for m, t in titles.items()}
    for title in TITLES:
        near, sim = rec.similar_items([by_title[title]], n=5)
        names = ", ".join(f"{titles[m]} {s:.2f}" for m, s in zip(near[0], sim[0], strict=True))
        print(textwrap.fill(f"{title}: {names}", width=88, initial_indent="  ",
                            subsequent_indent="      "))

    counts = pd.Series([i for s in train_full for i in s]).value_counts().to_dict()
    share, chance = genre_agreement(rec, genres, counts)
    print(f"\nshare of the 10 nearest movies with a genre in common: {share:.3f} "
          f"(random pairs {chance:.3f})")
    n = genre_map(rec, titles, genres, counts, args.figure, args.seed)
    print(f"t-SNE map of {n} movies (>= 10 training ratings) saved to {args.figure}")
    print(f"total {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
