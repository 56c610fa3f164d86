"""Command line: ``python -m skembed demo``."""

import argparse
import sys
import time


def demo(args):
    from . import Word2VecTransformer
    from .datasets import load_wiki_sample

    t0 = time.perf_counter()
    sentences = load_wiki_sample()
    n_tokens = sum(map(len, sentences))
    print(f"Training skip-gram word2vec on the bundled Wikipedia sample "
          f"({n_tokens:,} tokens, CC BY-SA) with {args.threads} thread(s)...")
    w2v = Word2VecTransformer(sg=True, vector_size=100, window=5, min_count=5,
                              epochs=args.epochs, n_jobs=args.threads,
                              random_state=0, verbose=args.verbose)
    w2v.fit(sentences)
    kv = w2v.wv_
    print(f"  {len(kv):,} words, {args.epochs} epochs, loss per epoch "
          + ", ".join(f"{x:.3f}" for x in w2v.loss_history_)
          + f"; fit {sum(w2v.timings_.values()):.1f}s\n")
    print("Nearest neighbours (cosine):")
    for word in ("king", "france", "music", "computer", "war", "three"):
        if word in kv:
            near = ", ".join(f"{w} {s:.2f}" for w, s in kv.most_similar(word, topn=6))
            print(f"  {word:9s} -> {near}")
    print("\nAnalogies (b - a + c):")
    for a, b, c in (("man", "king", "woman"), ("france", "paris", "germany"),
                    ("big", "bigger", "small")):
        if all(w in kv for w in (a, b, c)):
            top = kv.most_similar(positive=[b, c], negative=[a], topn=3)
            print(f"  {a} : {b} :: {c} : ?  -> " + ", ".join(w for w, _ in top))
    print(f"\nDone in {time.perf_counter() - t0:.1f}s.  Next: docs/ and examples/ in the "
          "repository; word vectors plug into any scikit-learn Pipeline.")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skembed",
        description="skembed: scikit-learn compatible embedding estimators.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("demo", help="train word vectors on the bundled text sample "
                                    "and print neighbours and analogies")
    p.add_argument("--threads", type=int, default=2, help="training threads (default 2)")
    p.add_argument("--epochs", type=int, default=10, help="passes over the text")
    p.add_argument("--verbose", type=int, default=0)
    p.set_defaults(func=demo)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
