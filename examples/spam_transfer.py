"""Transfer learning: Wikipedia word vectors as features of an SMS spam filter,
frozen, read back from a file, fine-tuned, and with subwords for unseen words.

Word vectors are learned once on 17M tokens of Wikipedia (no labels, nothing
about SMS), twice: plain word2vec, and with fastText subwords (character
3-6-grams, so that SMS slang and misspellings the Wikipedia vocabulary never
saw still get vectors).  Each message becomes the mean of its word vectors,
which a ``LogisticRegression`` classifies as spam or ham.  Stratified 5-fold
cross-validation (F1 of the spam class, accuracy) compares

- tf-idf, the classic sparse baseline;
- word vectors learned on the SMS messages alone, refitted in every fold,
  without and with subwords;
- the Wikipedia vectors, frozen: written to a word2vec binary file and read
  back by ``EmbeddingVectorizer`` (as a published vector file would be);
  with subwords, from the directory ``KeyedVectors.save`` writes, so that
  unseen words keep their n-gram vectors;
- the Wikipedia vectors fine-tuned on the training messages of each fold
  (``Word2VecTransformer(init_vectors=..., lock_factor=0.5)``);
- the frozen Wikipedia vectors next to the tf-idf features
  (``FeatureUnion``).

The Wikipedia corpus is text8-style (lowercase a-z words, digits spelled out
as words), so the SMS messages are tokenized the same way before they meet
the Wikipedia vectors: ``"Call 087"`` -> ``["call", "zero", "eight",
"seven"]``.

Run (from the repository root; data from ``--data`` or ``$SKEMBED_DATA``)::

    python examples/spam_transfer.py --data ../shared/data --out figures

Printed (2026-11-29, 2 cores, CBOW, 5 epochs on the full corpus; 1.5 minutes
in all)::

    5,574 SMS messages, 747 spam
    Wikipedia word2vec (plain): 16,943,230 tokens, 67,873 words, trained in 20 s
    Wikipedia word2vec (subwords): 16,943,230 tokens, 67,873 words, trained in 43 s
    SMS tokens (text8-style) in the Wikipedia vocabulary: 94.3% of 100,733; most
    frequent unseen: dont, pls, lol, gud, haha, thk, thats, pobox
      nearest to 'free' (Wikipedia, subwords): unfree, freebsd, freesat, freebase, freeform
      nearest to 'freee' (Wikipedia, subwords): freebsd, freesat, free, freeciv, freeware
      nearest to 'txt' (Wikipedia, subwords): sxt, xt, mext, wikitext, text
      nearest to 'winnin' (Wikipedia, subwords): winnili, winning, winnie, winnipeg, winnings

    stratified 5-fold CV, mean (std) over folds; F1 of the spam class
    features + LogisticRegression                F1        accuracy   CV s
    tf-idf                             0.940 (0.006)   0.9844 (0.0016)      1
    SMS-only word2vec                  0.942 (0.007)   0.9848 (0.0019)      4
    SMS-only word2vec + subwords       0.943 (0.003)   0.9851 (0.0009)      6
    Wikipedia, frozen (.bin file)      0.891 (0.024)   0.9718 (0.0057)      2
    Wikipedia + subwords, frozen       0.912 (0.021)   0.9769 (0.0057)      2
    Wikipedia, fine-tuned on SMS       0.936 (0.016)   0.9831 (0.0042)      5
    Wikipedia frozen + tf-idf          0.945 (0.012)   0.9853 (0.0031)      6

Reading it: frozen general-purpose vectors alone lose to the sparse baseline
(spam is flagged by specific tokens, numbers and SMS slang that a mean of
Wikipedia vectors blurs), but subwords recover part of the gap (0.891 ->
0.912: "pls", "gud", "winnin" get vectors from their n-grams, and "freee"
lands next to "free"), and fine-tuning the Wikipedia vectors on the training
messages of each fold recovers most of the rest (0.936).  Vectors learned on
the SMS alone match tf-idf here, and the frozen Wikipedia vectors next to
tf-idf give the best F1: they carry information tf-idf lacks.  The
regularisation ``C`` of every ``LogisticRegression`` is chosen by an inner
3-fold search on F1; fold-to-fold spread is 0.003-0.024.

``--max-words 2000000`` trains on the first 2M Wikipedia tokens only (a
quick run); ``--sg`` trains skip-gram instead of CBOW.  The figure
(``spam_transfer.png`` in ``--out``) is a bar chart of F1 per method.

Data: the SMS Spam Collection v.1 (Almeida, Gomez Hidalgo & Yamakami 2011,
CC BY 4.0, UCI Machine Learning Repository; bundled with skembed) and
``text/wiki2015-text8style-1e8.txt.gz`` (Wikipedia, CC BY-SA; see the data
directory's README).
"""

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import FeatureUnion, FunctionTransformer, make_pipeline
from sklearn.preprocessing import StandardScaler

from skembed import EmbeddingVectorizer, Word2VecTransformer
from skembed.datasets import data_file, load_sms_spam, load_text8

DIGITS = "zero one two three four five six seven eight nine".split()
_DIGIT = re.compile(r"[0-9]")
_WORD = re.compile(r"[a-z]+")


def text8_tokens(text):
    """Tokenize like the text8 corpus: lowercase, digits spelled out, a-z words."""
    text = _DIGIT.sub(lambda m: " " + DIGITS[int(m.group())] + " ", text.lower())
    return _WORD.findall(text)


def text8_documents(texts):
    return [text8_tokens(t) for t in texts]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None,
                        help="data directory (default: $SKEMBED_DATA)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs on Wikipedia")
    parser.add_argument("--max-words", type=int, default=None,
                        help="train on the first N Wikipedia tokens only (default: all 17M)")
    parser.add_argument("--sg", action="store_true", help="skip-gram instead of CBOW")
    parser.add_argument("--n-jobs", type=int, default=2, help="training threads")
    parser.add_argument("--out", default=".", help="directory for spam_transfer.png")
    args = parser.parse_args(argv)

    try:
        wiki_path = data_file("text/wiki2015-text8style-1e8.txt.gz", args.data)
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    texts, is_spam = load_sms_spam()  # bundled with skembed (CC BY 4.0)
    y = is_spam.astype(int)
    print(f"{len(texts):,} SMS messages, {y.sum():,} spam")

    # 1. Word vectors from Wikipedia, learned once, without and with subwords.
    params = dict(vector_size=100, window=5, min_count=5, sg=args.sg, epochs=args.epochs,
                  n_jobs=args.n_jobs, random_state=0)
    corpus = load_text8(args.data, args.max_words) if args.max_words else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wiki = {}
    for name, extra in (("plain", {}), ("subwords", dict(min_n=3, max_n=6))):
        t0 = time.perf_counter()
        if corpus is not None:
            model = Word2VecTransformer(**params, **extra).fit(corpus)
        else:  # stream the file: the corpus is never held in memory
            model = Word2VecTransformer(input="filename", token_pattern=r"\S+",
                                        lowercase=False, **params, **extra).fit([wiki_path])
        wiki[name] = model.wv_
        print(f"Wikipedia word2vec ({name}): {model.corpus_word_count_:,} tokens, "
              f"{len(model.wv_):,} words, trained in {time.perf_counter() - t0:.0f} s")
    # as a published vector file would be: word2vec binary; the subword model
    # in skembed's own format, which keeps the n-gram table (memory-mapped)
    wiki["plain"].save_word2vec_format(out / "wiki_vectors.bin", binary=True)
    wiki["subwords"].save(out / "wiki_subwords")
    tokens = text8_documents(texts)
    n_tokens = sum(map(len, tokens))
    unseen = [t for doc in tokens for t in doc if t not in wiki["plain"]]
    print(f"SMS tokens (text8-style) in the Wikipedia vocabulary: "
          f"{1 - len(unseen) / n_tokens:.1%} of {n_tokens:,}; most frequent unseen: "
          f"{', '.join(w for w, _ in Counter(unseen).most_common(8))}")
    for word in ("free", "freee", "txt", "winnin"):
        near = ", ".join(w for w, _ in wiki["subwords"].most_similar(word, topn=5))
        print(f"  nearest to {word!r} (Wikipedia, subwords): {near}")

    # 2. The pipelines, each given the raw SMS texts.
    def lr():  # C chosen by an inner 3-fold CV on F1, the same search for every method
        return GridSearchCV(LogisticRegression(max_iter=5000),
                            {"C": np.logspace(-2, 3, 6)}, cv=3, scoring="f1")

    def frozen(vectors):
        return make_pipeline(FunctionTransformer(text8_documents),
                             EmbeddingVectorizer(vectors), StandardScaler())

    def sms_only(**extra):
        return make_pipeline(FunctionTransformer(text8_documents),
                             Word2VecTransformer(vector_size=100, sg=True, min_count=2,
                                                 epochs=20, n_jobs=args.n_jobs,
                                                 random_state=0, **extra),
                             StandardScaler(), lr())

    methods = {
        "tf-idf": make_pipeline(TfidfVectorizer(sublinear_tf=True), lr()),
        "SMS-only word2vec": sms_only(),
        "SMS-only word2vec + subwords": sms_only(min_n=3, max_n=6, bucket=200_000),
        "Wikipedia, frozen (.bin file)": make_pipeline(
            frozen(str(out / "wiki_vectors.bin")), lr()),
        "Wikipedia + subwords, frozen": make_pipeline(
            frozen(str(out / "wiki_subwords")), lr()),
        "Wikipedia, fine-tuned on SMS": sms_only(init_vectors=wiki["plain"],
                                                 lock_factor=0.5),
        "Wikipedia frozen + tf-idf": make_pipeline(
            FeatureUnion([("wiki", frozen(str(out / "wiki_vectors.bin"))),
                          ("tfidf", TfidfVectorizer(sublinear_tf=True))]), lr()),
    }

    # 3. Stratified 5-fold cross-validation, same folds for every method.
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    rows = []
    for name, model in methods.items():
        t0 = time.perf_counter()
        s = cross_validate(model, texts, y, cv=cv, scoring=("f1", "accuracy"))
        rows.append((name, s["test_f1"], s["test_accuracy"], time.perf_counter() - t0))

    print("\nstratified 5-fold CV, mean (std) over folds; F1 of the spam class")
    print(f"{'features + LogisticRegression':31s} {'F1':>15s} {'accuracy':>15s} {'CV s':>6s}")
    for name, f1, acc, sec in rows:
        print(f"{name:31s} {f1.mean():8.3f} ({f1.std():.3f}) "
              f"{acc.mean():8.4f} ({acc.std():.4f}) {sec:6.0f}")

    fig, ax = plt.subplots(figsize=(7.5, 4))
    names = [r[0] for r in rows]
    f1s = [r[1].mean() for r in rows]
    ax.barh(names[::-1], f1s[::-1], xerr=[r[1].std() for r in rows][::-1], color="C0")
    lo = max(0.0, min(f1s) - 0.1)
    for i, v in enumerate(f1s[::-1]):
        ax.text(lo + 0.005, i, f"{v:.3f}", va="center", ha="left", color="white")
    ax.set_xlim(lo, 1.0)
    ax.set_xlabel("F1 (spam), stratified 5-fold CV")
    ax.set_title("SMS spam: features for LogisticRegression")
    fig.tight_layout()
    fig.savefig(out / "spam_transfer.png", dpi=120)
    print(f"\nfigure saved to {out / 'spam_transfer.png'}")


if __name__ == "__main__":
    main()
