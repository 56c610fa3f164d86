"""Word vectors from Wikipedia: neighbours, analogies and a country-capital map.

Trains word2vec on 17M tokens of Wikipedia (text8-style: lowercase, no
punctuation) with the settings of ``benchmarks/word2vec.py`` (100
dimensions, window 5, 5 negative samples, subsampling 1e-3, min_count 5, 5
epochs), streaming the file so that the corpus is never held in memory.
Then it

- scores the Mikolov et al. (2013) analogy questions ("athens is to greece
  as berlin is to ?", answered by the nearest word to ``greece - athens +
  berlin`` among the 30,000 most frequent words) and the correlation with
  human similarity judgements on WordSim-353 and SimLex-999;
- prints the nearest neighbours of a few words and a few analogies;
- plots a 2-D PCA projection of country and capital vectors with a line
  joining each pair: the lines run roughly parallel, the "capital of"
  offset that the analogies exploit.

Run (from the repository root; data from ``--data`` or ``$SKEMBED_DATA``)::

    python examples/word_analogies.py --data ../shared/data

Printed on a shared, busy 2-core machine (skip-gram, the default; 4.7
minutes in all; the same fit took 94 s in ``benchmarks/word2vec.py`` on the
idle machine)::

    skip-gram: 16,943,230 tokens, 67,873 words, trained in 271 s

    analogies (11,911 of 19,544 questions within the 30,000 most frequent words): 36.6%
      semantic 28.1%, syntactic 40.1%
      capital-common-countries      56.2% of   420
      capital-world                 27.1% of 1,322
      currency                       4.7% of   106
      city-in-state                 13.4% of 1,358
      family                        63.5% of   342
      gram1-adjective-to-adverb     14.8% of   702
      gram2-opposite                20.2% of   342
      gram3-comparative             60.9% of 1,260
      gram4-superlative             41.2% of   600
      gram5-present-participle      32.5% of   930
      gram6-nationality-adjective   62.4% of 1,299
      gram7-past-tense              30.7% of 1,406
      gram8-plural                  36.5% of 1,122
      gram9-plural-verbs            30.9% of   702
    WordSim-353 Spearman correlation: 0.646 (0.6% pairs out of vocabulary)
    SimLex-999 Spearman correlation: 0.311 (0.7% pairs out of vocabulary)

    nearest neighbours (cosine similarity)
      computer   computers 0.84, hardware 0.80, automation 0.79, spreadsheet 0.78, robotics 0.77
      france     spain 0.86, belgium 0.82, italy 0.81, portugal 0.80, netherlands 0.77
      einstein   bohr 0.85, heisenberg 0.85, dinger 0.83, electrodynamics 0.80, bose 0.80
      guitar     bass 0.91, guitars 0.87, clarinet 0.83, banjo 0.83, bassoon 0.81
      quickly    soon 0.80, eventually 0.78, slowly 0.73, rapidly 0.72, swiftly 0.71

    analogies: a is to b as c is to ... (top 3)
      man : king = woman : queen, throne, isabella
      france : paris = italy : milan, bologna, turin
      big : bigger = small : larger, smaller, large
      walk : walking = swim : locomotion, gliding, medusae
      germany : german = spain : spanish, portuguese, french

The totals match ``benchmarks/word2vec.py`` (36.4% analogy accuracy, 0.648
on WordSim-353 for skip-gram).  Capitals of frequently mentioned countries
(capital-common-countries, 56%) are found far more often than those of the
whole world (27%), and "paris - france + italy" gives "milan" before
"rome": 17M tokens is a small corpus.

``--cbow`` trains CBOW instead (about twice as fast, lower analogy
accuracy); the figure is ``word_analogies.png`` in ``--out``;
``--save vectors.bin`` also writes the vectors in the word2vec binary
format (readable by gensim and the C tool).

Data: ``text/wiki2015-text8style-1e8.txt.gz`` (Wikipedia, CC BY-SA) and
``eval/questions-words.txt``, ``eval/wordsim353.tsv``,
``eval/simlex999.txt`` (from gensim's test data); see the data directory's
README.
"""

import argparse
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skembed import Word2VecTransformer
from skembed.datasets import data_file

CORPUS = "text/wiki2015-text8style-1e8.txt.gz"
ANALOGIES = "eval/questions-words.txt"
WORDSIM = "eval/wordsim353.tsv"
SIMLEX = "eval/simlex999.txt"
NEIGHBOURS = ["computer", "france", "einstein", "guitar", "quickly"]
QUESTIONS = [  # a is to b as c is to ?
    ("man", "king", "woman"),
    ("france", "paris", "italy"),
    ("big", "bigger", "small"),
    ("walk", "walking", "swim"),
    ("germany", "german", "spain"),
]
PAIRS = [("greece", "athens"), ("germany", "berlin"), ("france", "paris"),
         ("italy", "rome"), ("spain", "madrid"), ("russia", "moscow"),
         ("japan", "tokyo"), ("china", "beijing"), ("egypt", "cairo"),
         ("poland", "warsaw"), ("canada", "ottawa"), ("portugal", "lisbon"),
         ("turkey", "ankara"), ("cuba", "havana"), ("iran", "tehran")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None,
                        help="data directory (default: $SKEMBED_DATA)")
    parser.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2, help="training threads")
    parser.add_argument("--out", default=".", help="directory for word_analogies.png")
    parser.add_argument("--save", default=None,
                        help="also save the vectors here (word2vec binary format)")
    args = parser.parse_args(argv)
    try:
        paths = {name: data_file(name, args.data)
                 for name in (CORPUS, ANALOGIES, WORDSIM, SIMLEX)}
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")

    w2v = Word2VecTransformer(
        vector_size=100, window=5, negative=5, sample=1e-3, min_count=5,
        epochs=args.epochs, sg=not args.cbow, n_jobs=args.n_jobs, random_state=0,
        input="filename", token_pattern=r"\S+", lowercase=False)
    t0 = time.perf_counter()
    w2v.fit([paths[CORPUS]])
    wv = w2v.wv_
    print(f"{'CBOW' if args.cbow else 'skip-gram'}: {w2v.corpus_word_count_:,} tokens, "
          f"{len(wv):,} words, trained in {time.perf_counter() - t0:.0f} s")
    if args.save:
        wv.save_word2vec_format(args.save, binary=True)
        print(f"vectors saved to {args.save}")

    accuracy, sections = wv.evaluate_word_analogies(paths[ANALOGIES], restrict_vocab=30000)
    semantic = [s for s in sections[:-1] if not s["section"].startswith("gram")]
    syntactic = [s for s in sections[:-1] if s["section"].startswith("gram")]

    def acc(secs):
        right = sum(len(s["correct"]) for s in secs)
        return right / max(right + sum(len(s["incorrect"]) for s in secs), 1), right

    n_answered = sum(len(s["correct"]) + len(s["incorrect"]) for s in sections[:-1])
    print(f"\nanalogies ({n_answered:,} of 19,544 questions within the 30,000 most "
          f"frequent words): {accuracy:.1%}")
    print(f"  semantic {acc(semantic)[0]:.1%}, syntactic {acc(syntactic)[0]:.1%}")
    for s in sections[:-1]:
        n = len(s["correct"]) + len(s["incorrect"])
        print(f"  {s['section']:28s} {len(s['correct']) / max(n, 1):6.1%} of {n:5,}")
    for name, label in ((WORDSIM, "WordSim-353"), (SIMLEX, "SimLex-999")):
        _, spearman, oov = wv.evaluate_word_pairs(paths[name])
        print(f"{label} Spearman correlation: {spearman[0]:.3f} ({oov:.1f}% pairs "
              "out of vocabulary)")

    print("\nnearest neighbours (cosine similarity)")
    for word in NEIGHBOURS:
        near = ", ".join(f"{w} {s:.2f}" for w, s in wv.most_similar(word, topn=5))
        print(f"  {word:10s} {near}")
    print("\nanalogies: a is to b as c is to ... (top 3)")
    for a, b, c in QUESTIONS:
        top = wv.most_similar(positive=[b, c], negative=[a], topn=3, restrict_vocab=30000)
        print(f"  {a} : {b} = {c} : {', '.join(w for w, _ in top)}")

    pairs = [(c, k) for c, k in PAIRS if c in wv and k in wv]
    words = [w for pair in pairs for w in pair]
    xy = PCA(n_components=2).fit_transform(wv.get_normed_vectors()[
        [wv.get_index(w) for w in words]])
    fig, ax = plt.subplots(figsize=(7, 6))
    for i, (country, capital) in enumerate(pairs):
        (x0, y0), (x1, y1) = xy[2 * i], xy[2 * i + 1]
        ax.plot([x0, x1], [y0, y1], color="0.7", lw=1, zorder=1)
        ax.scatter([x0], [y0], color="C0", zorder=2)
        ax.scatter([x1], [y1], color="C3", zorder=2)
        ax.annotate(country, (x0, y0), textcoords="offset points", xytext=(4, 3),
                    color="C0")
        ax.annotate(capital, (x1, y1), textcoords="offset points", xytext=(4, 3),
                    color="C3")
    ax.set_title("countries (blue) and capitals (red): PCA of the word vectors")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "word_analogies.png", dpi=120)
    print(f"\nfigure saved to {out / 'word_analogies.png'}")


if __name__ == "__main__":
    main()
