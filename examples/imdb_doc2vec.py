"""IMDB reviews as paragraph vectors: sentiment, nearest reviews and a map.

Paragraph vectors (``Doc2VecTransformer``, PV-DBOW with its defaults) are
learned without labels from the 25,000 labelled training reviews and the
50,000 unlabelled ones of the Large Movie Review Dataset (Maas et al. 2011);
the 25,000 test reviews are never seen in training: their vectors are
inferred (``transform``).  Then:

- a ``LogisticRegression`` on the vectors predicts the sentiment of the test
  reviews (the two steps in one ``Pipeline``);
- the training reviews closest to a test review (cosine of the inferred
  vector and the trained ones, ``dv_.most_similar``);
- a map of 3,000 test reviews: their vectors projected to two dimensions
  with t-SNE, coloured by sentiment (``imdb_doc2vec.png``).

Run (from the repository root; data from ``--data`` or ``$SKEMBED_DATA``)::

    python examples/imdb_doc2vec.py --data ../shared/data --out figures

``--phrases`` puts a ``PhraseTransformer`` (gensim's English connector
words) before the paragraph vectors; ``--max-reviews N`` keeps N of the
100,000 reviews for a quick run.  The run takes about two minutes on two cores;
accuracy, time and the comparison with gensim are in docs/benchmarks.md.

Data: ``text/aclImdb_v1.tar.gz`` (https://ai.stanford.edu/~amaas/data/sentiment/).
"""

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE
from sklearn.pipeline import make_pipeline

from skembed import Doc2VecTransformer, PhraseTransformer
from skembed.datasets import load_imdb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="data directory (default: $SKEMBED_DATA)")
    parser.add_argument("--max-reviews", type=int, default=None,
                        help="use N of the 100,000 reviews (default: all)")
    parser.add_argument("--phrases", action="store_true",
                        help="join collocations first (PhraseTransformer)")
    parser.add_argument("--n-jobs", type=int, default=2, help="threads")
    parser.add_argument("--out", default=".", help="directory for imdb_doc2vec.png")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    try:
        reviews = load_imdb(args.data, args.max_reviews)
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    train = reviews["train/pos"] + reviews["train/neg"]
    y_train = np.r_[np.ones(len(reviews["train/pos"])), np.zeros(len(reviews["train/neg"]))]
    test = reviews["test/pos"] + reviews["test/neg"]
    y_test = np.r_[np.ones(len(reviews["test/pos"])), np.zeros(len(reviews["test/neg"]))]
    unlabelled = reviews["train/unsup"]
    print(f"{len(train) + len(test) + len(unlabelled):,} reviews read in "
          f"{time.perf_counter() - t0:.0f} s")

    # the paragraph vectors, learned once from the labelled and unlabelled
    # training reviews (no labels); the test reviews stay unseen
    steps = [PhraseTransformer(connector_words="english")] if args.phrases else []
    d2v = Doc2VecTransformer(n_jobs=args.n_jobs, random_state=0)
    t0 = time.perf_counter()
    corpus = train + unlabelled
    if steps:
        steps[0].fit(corpus)
        corpus = steps[0].transform(corpus)
        joined = Counter(t for doc in corpus for t in doc if t in steps[0].phrases_)
        print(f"phrases: {len(steps[0].phrases_):,} found; the most frequent: "
              + ", ".join(p for p, _ in joined.most_common(8)))
    vectors = d2v.fit_transform(corpus)
    print(f"Doc2VecTransformer: {d2v.corpus_word_count_:,} tokens, {len(d2v.wv_):,} words, "
          f"{len(d2v.dv_):,} document vectors, fitted in {time.perf_counter() - t0:.0f} s")

    # sentiment: the classifier learns from the trained vectors of the
    # labelled reviews, then predicts from inferred ones
    clf = LogisticRegression(max_iter=2000).fit(vectors[:len(train)], y_train)
    model = make_pipeline(*steps, d2v, clf)
    t0 = time.perf_counter()
    X_test = model[:-1].transform(test)
    print(f"test vectors inferred in {time.perf_counter() - t0:.0f} s; "
          f"accuracy {clf.score(X_test, y_test):.4f} on {len(test):,} test reviews")

    # the training reviews nearest to a test review
    query = int(np.argmax([len(t) < 300 for t in test]))
    print(f"\ntest review: {test[query][:200]!r}")
    for tag, sim in d2v.dv_.most_similar(X_test[query], topn=3):
        print(f"  {sim:.2f}  {corpus_text(train, unlabelled, tag)[:150]!r}")

    # a map of test reviews
    rng = np.random.RandomState(0)
    sample = rng.choice(len(test), min(3000, len(test)), replace=False)
    t0 = time.perf_counter()
    xy = TSNE(n_components=2, init="pca", metric="cosine", random_state=0).fit_transform(
        X_test[sample])
    print(f"\nt-SNE of {len(sample):,} test reviews in {time.perf_counter() - t0:.0f} s")
    fig, ax = plt.subplots(figsize=(7, 6))
    for label, colour, name in ((1, "C0", "positive"), (0, "C3", "negative")):
        mask = y_test[sample] == label
        ax.scatter(xy[mask, 0], xy[mask, 1], s=4, c=colour, alpha=0.5, label=name)
    ax.set_title("IMDB test reviews: inferred paragraph vectors (t-SNE)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=4)
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "imdb_doc2vec.png", dpi=120)
    print(f"figure saved to {out / 'imdb_doc2vec.png'}")


def corpus_text(train, unlabelled, tag):
    """The text of training document ``tag`` (a position in train + unlabelled)."""
    return train[tag] if tag < len(train) else unlabelled[tag - len(train)]


if __name__ == "__main__":
    main()
