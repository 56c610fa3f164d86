"""IMDB sentiment: word2vec document vectors vs tf-idf for LogisticRegression.

Word vectors are learned, without labels, from the text of all 100,000
reviews of the Large Movie Review Dataset (Maas et al. 2011: 25,000
labelled train, 25,000 labelled test, 50,000 unlabelled; read straight from
the ``.tar.gz``, ``<br />`` tags removed).  Each review then becomes the
pooled vector of its words, with the three ``doc_vector`` options of
``Word2VecTransformer``:

- ``"mean"``: plain mean of the word vectors;
- ``"tfidf"``: idf-weighted mean;
- ``"sif"``: smooth inverse frequency weights, then the first principal
  component removed (Arora et al. 2017).

A ``LogisticRegression`` is trained on the 25,000 train reviews and scored
on the 25,000 test reviews, against ``TfidfVectorizer`` (words, and words +
bigrams) + ``LogisticRegression``.  The regularisation ``C`` is chosen by a
3-fold search on the train reviews for every method.  The test reviews'
text (never their labels) is part of the unsupervised word2vec corpus.

``doc_vector`` only affects ``transform`` (the document frequencies and
the SIF component are computed in every fit), so the word vectors are
trained once and the three poolings are compared with ``set_params``.

Run (from the repository root; data from ``--data`` or ``$SKEMBED_DATA``)::

    python examples/imdb_sentiment.py --data ../shared/data

Printed on a shared, busy 2-core machine (CBOW, 5 epochs; 13 minutes in
all, 2.9 GB peak resident memory)::

    100,000 reviews read in 11 s: 25,000 train, 25,000 test, 50,000 unlabelled
    word2vec (CBOW): 22,214,820 tokens, 53,816 words, fitted in 130 s
      nearest to 'great': terrific, wonderful, fantastic, good, fine
      nearest to 'awful': terrible, horrible, atrocious, abysmal, dreadful
      nearest to 'boring': dull, tedious, pointless, uninteresting, predictable

    features + LogisticRegression  test accuracy      s
    word2vec mean                         0.8523    173
    word2vec tfidf                        0.8548    192
    word2vec sif                          0.8554    145
    tf-idf words                          0.8832     87
    tf-idf words+bigrams                  0.9063    167
    (Maas et al. 2011: 88.89%; the word2vec rows include training the vectors)

Averaged word vectors land about 3 points below the sparse unigram
baseline and 5 below unigrams + bigrams here: sentiment hinges on a few
decisive words and phrases ("not good", "waste of time") that averaging
dilutes, and the 100-d vectors are learned without the labels.  The
weighting matters little: idf and SIF weights add 0.3 points over the
plain mean, a difference one run cannot tell from training noise.  With
``--max-reviews 4000`` (a 35 s run) the same table reads 73.1 / 75.1 / 75.0
for word2vec mean / tfidf / sif against 84.9 / 85.8 for tf-idf: word
vectors need far more text than 4,000 reviews.

``--max-reviews N`` keeps N of the 100,000 reviews, each folder reduced in
the same proportion (a quick run); ``--sg`` trains skip-gram instead of
CBOW; the bar chart of test accuracies is ``imdb_sentiment.png`` in ``--out``
(default: the current directory).

Data: ``text/aclImdb_v1.tar.gz`` (https://ai.stanford.edu/~amaas/data/sentiment/).
Cite: Andrew L. Maas et al., "Learning Word Vectors for Sentiment Analysis",
ACL 2011.
"""

import argparse
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skembed import Word2VecTransformer
from skembed.datasets import load_imdb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None,
                        help="data directory (default: $SKEMBED_DATA)")
    parser.add_argument("--max-reviews", type=int, default=None,
                        help="use N of the 100,000 reviews (default: all)")
    parser.add_argument("--sg", action="store_true", help="skip-gram instead of CBOW")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2, help="training threads")
    parser.add_argument("--out", default=".", help="directory for imdb_sentiment.png")
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
    all_texts = train + test + reviews["train/unsup"]
    print(f"{len(all_texts):,} reviews read in {time.perf_counter() - t0:.0f} s: "
          f"{len(train):,} train, {len(test):,} test, {len(reviews['train/unsup']):,} "
          "unlabelled")

    def classifier():  # C chosen by 3-fold CV on the train reviews
        return GridSearchCV(LogisticRegression(max_iter=2000),
                            {"C": [0.1, 1.0, 10.0]}, cv=3, n_jobs=1)

    rows = []
    t0 = time.perf_counter()
    w2v = Word2VecTransformer(vector_size=100, window=5, min_count=5, sg=args.sg,
                              epochs=args.epochs, n_jobs=args.n_jobs,
                              random_state=0).fit(all_texts)
    print(f"word2vec ({'skip-gram' if args.sg else 'CBOW'}): "
          f"{w2v.corpus_word_count_:,} tokens, {len(w2v.wv_):,} words, "
          f"fitted in {time.perf_counter() - t0:.0f} s")
    for word in ("great", "awful", "boring"):
        near = ", ".join(w for w, _ in w2v.wv_.most_similar(word, topn=5))
        print(f"  nearest to {word!r}: {near}")
    for doc_vector in ("mean", "tfidf", "sif"):
        t0 = time.perf_counter()
        w2v.set_params(doc_vector=doc_vector)  # pooling only: no retraining
        model = make_pipeline(FrozenEstimator(w2v), StandardScaler(), classifier())
        model.fit(train, y_train)
        rows.append((f"word2vec {doc_vector}", model.score(test, y_test),
                     time.perf_counter() - t0))

    for name, ngrams in (("tf-idf words", (1, 1)), ("tf-idf words+bigrams", (1, 2))):
        t0 = time.perf_counter()
        model = make_pipeline(
            TfidfVectorizer(ngram_range=ngrams, min_df=2, sublinear_tf=True), classifier())
        model.fit(train, y_train)
        rows.append((name, model.score(test, y_test), time.perf_counter() - t0))

    print(f"\n{'features + LogisticRegression':30s} {'test accuracy':>13s} {'s':>6s}")
    for name, accuracy, sec in rows:
        print(f"{name:30s} {accuracy:13.4f} {sec:6.0f}")
    print("(Maas et al. 2011: 88.89%; seconds: classifier search and fit, the word "
          "vectors are trained once above)")

    fig, ax = plt.subplots(figsize=(7, 3.5))
    names, accs = [r[0] for r in rows], [r[1] for r in rows]
    ax.barh(names[::-1], accs[::-1], color=["C1"] * 2 + ["C0"] * 3)
    lo = max(0.0, min(accs) - 0.05)
    for i, v in enumerate(accs[::-1]):
        ax.text(lo + 0.002, i, f"{v:.1%}", va="center", ha="left", color="white")
    ax.set_xlim(lo, 1.0)
    ax.set_xlabel(f"test accuracy ({len(test):,} reviews)")
    ax.set_title("IMDB sentiment: features for LogisticRegression")
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "imdb_sentiment.png", dpi=120)
    print(f"\nfigure saved to {out / 'imdb_sentiment.png'}")


if __name__ == "__main__":
    main()
