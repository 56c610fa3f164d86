"""skembed vs gensim word2vec: speed, memory and quality in one run.

Trains both libraries with identical settings on the text8-style Wikipedia
corpus and prints, per mode, fit seconds, raw words/s (epochs * tokens / fit
seconds, vocabulary building included), the speed ratio to gensim, peak
memory, analogy accuracy (questions-words, 30,000 most frequent words) and
WordSim-353 Spearman correlation.  Every fit runs in a fresh subprocess so
that peak RSS is per fit; with ``--repeats`` > 1 medians are reported.

Usage::

    python benchmarks/word2vec.py --data ../shared/data --repeats 3

Needs ``pip install -e .[bench]`` (gensim).  ``SKEMBED_DATA`` may replace
``--data``.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from skembed.datasets import data_home, load_text8

CORPUS = "text/wiki2015-text8style-1e8.txt.gz"
MODES = {
    "cbow": dict(sg=0, hs=0, negative=5),
    "sg": dict(sg=1, hs=0, negative=5),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "sg-hs": dict(sg=1, hs=1, negative=0),
}
# identical settings for every library (alpha: gensim's default; skembed's
# own default for CBOW is 0.05, see --alpha)
COMMON = dict(vector_size=100, window=5, sample=1e-3, min_count=5, alpha=0.025)
# fastText's subword settings (its defaults), for gensim-fasttext / skembed-subwords
SUBWORDS = dict(min_n=3, max_n=6, bucket=2_000_000)
# the library each one is compared with
PEER = {"skembed": "gensim", "skembed-pairwise": "gensim", "gensim": "gensim",
        "skembed-subwords": "gensim-fasttext", "gensim-fasttext": "gensim-fasttext"}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args):
    data = Path(args.data)
    params = dict(COMMON, **MODES[args.mode])
    if args.alpha is not None:
        params["alpha"] = args.alpha
    if args.lib == "skembed-stream":  # nothing loaded: the file is streamed
        from skembed import Word2VecTransformer

        baseline = rss_mb()
        t0 = time.perf_counter()
        model = Word2VecTransformer(input="filename", token_pattern=r"\S+", lowercase=False,
                                    n_jobs=args.threads, epochs=args.epochs, random_state=1,
                                    **params)
        model.fit([args.stream_file])
        fit_s = time.perf_counter() - t0
        print(json.dumps(dict(lib=args.lib, mode=args.mode, tokens=model.corpus_word_count_,
                              fit_s=fit_s, peak_mb=rss_mb(), corpus_mb=baseline,
                              timings=model.timings_)))
        return
    sentences = load_text8(args.data, max_chars=args.max_chars)
    n_tokens = sum(map(len, sentences))
    baseline = rss_mb()
    t0 = time.perf_counter()
    if args.lib in ("gensim", "gensim-fasttext"):
        from gensim.models import FastText, Word2Vec

        if args.lib == "gensim":
            model = Word2Vec(sentences, workers=args.threads, epochs=args.epochs, seed=1,
                             **params)
        else:
            model = FastText(sentences, workers=args.threads, epochs=args.epochs, seed=1,
                             **params, **SUBWORDS)
        fit_s = time.perf_counter() - t0
        from skembed import KeyedVectors

        kv = KeyedVectors(model.wv.index_to_key, model.wv.vectors,
                          [model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key])
        own_acc = model.wv.evaluate_word_analogies(
            str(data / "eval/questions-words.txt"), restrict_vocab=30000)[0]
        timings = {}
    else:
        from skembed import Word2VecTransformer

        extra = SUBWORDS if args.lib == "skembed-subwords" else {}
        model = Word2VecTransformer(n_jobs=args.threads, epochs=args.epochs,
                                    random_state=1,
                                    shared_negatives=args.lib != "skembed-pairwise",
                                    **params, **extra)
        model.fit(sentences)
        fit_s = time.perf_counter() - t0
        kv = model.wv_
        own_acc = None
        timings = model.timings_
    peak = rss_mb()
    acc = kv.evaluate_word_analogies(data / "eval/questions-words.txt", restrict_vocab=30000)[0]
    spearman = kv.evaluate_word_pairs(data / "eval/wordsim353.tsv")[1][0]
    print(json.dumps(dict(
        lib=args.lib, mode=args.mode, threads=args.threads, tokens=n_tokens,
        vocab=len(kv), fit_s=fit_s, words_per_s=n_tokens * args.epochs / fit_s,
        peak_mb=peak, corpus_mb=baseline, analogy=acc, analogy_own_evaluator=own_acc,
        wordsim=float(spearman), timings=timings,
    )))


def run_one(lib, mode, args, stream_file=None, epochs=None, threads=None, max_chars=None):
    cmd = [sys.executable, __file__, "--worker", "--lib", lib, "--mode", mode,
           "--data", str(args.data), "--threads", str(threads or args.threads),
           "--epochs", str(epochs or args.epochs)]
    if max_chars or args.max_chars:
        cmd += ["--max-chars", str(max_chars or args.max_chars)]
    if args.alpha is not None:
        cmd += ["--alpha", str(args.alpha)]
    if stream_file:
        cmd += ["--stream-file", str(stream_file)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default: $SKEMBED_DATA)")
    p.add_argument("--modes", default="cbow,sg", help="comma list of " + ",".join(MODES))
    p.add_argument("--libs", default="gensim,skembed",
                   help="gensim, skembed (defaults: skip-gram negatives shared per target "
                        "word), skembed-pairwise (negatives per pair, as gensim), "
                        "gensim-fasttext and skembed-subwords (character n-grams 3-6, "
                        "2M buckets; compared with each other)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--alpha", type=float, default=None,
                   help="initial learning rate of every library (default: each one's own)")
    p.add_argument("--max-chars", type=int, default=None,
                   help="use only the first N characters (quick runs)")
    p.add_argument("--json", default=None, help="also write all runs to this file")
    p.add_argument("--scaling", action="store_true",
                   help="also fit skembed with 1 thread and print the 1 -> N thread speed-up")
    p.add_argument("--memory", action="store_true",
                   help="only compare peak RSS: in-memory vs streamed (input='filename') "
                        "training on the corpus and on 4 concatenated copies (1 CBOW epoch)")
    p.add_argument("--stream-file", help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--lib", help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)
    try:
        args.data = str(data_home(args.data, CORPUS))
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    if args.memory:
        return memory(args)
    libs = args.libs.split(",")
    modes = args.modes.split(",")
    if any(lib.startswith("skembed") for lib in libs):
        # Compile and cache the kernels before timing anything: a fit on a slice
        # large enough to split into per-thread chunks, at every thread count
        # timed below (a toy warm-up left the multi-threaded kernel to compile
        # inside the first timed fit, adding ~15 s to it).
        for mode in modes:
            for threads in sorted({args.threads, 1} if args.scaling else {args.threads}):
                run_one("skembed", mode, args, threads=threads, epochs=1,
                        max_chars=2_000_000)
    runs = []
    for rep in range(args.repeats):
        for mode in modes:
            for lib in libs:
                r = run_one(lib, mode, args)
                runs.append(r)
                if args.scaling and lib == "skembed":
                    one = run_one(lib, mode, args, threads=1)
                    one["lib"] = "skembed-1thread"
                    runs.append(one)
                print(f"# repeat {rep + 1} {mode:8s} {lib:16s} fit {r['fit_s']:7.1f}s "
                      f"{r['words_per_s']:>11,.0f} words/s analogy {r['analogy']:.4f}",
                      file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))

    def med(lib, mode, key):
        vals = [r[key] for r in runs if r["lib"] == lib and r["mode"] == mode]
        return statistics.median(vals) if vals else float("nan")

    print(f"\ncorpus: {runs[0]['tokens']:,} tokens, {args.epochs} epochs, "
          f"{args.threads} threads, median of {args.repeats} run(s)")
    header = (f"{'mode':8s} {'library':16s} {'fit s':>7s} {'raw words/s':>12s} {'x peer':>8s} "
              f"{'peak MB':>8s} {'analogy':>8s} {'wordsim':>8s}")
    print(header)
    print("-" * len(header))
    for mode in modes:
        for lib in libs:
            base = med(PEER.get(lib, "gensim"), mode, "words_per_s")
            wps = med(lib, mode, "words_per_s")
            print(f"{mode:8s} {lib:16s} {med(lib, mode, 'fit_s'):7.1f} {wps:12,.0f} "
                  f"{wps / base:8.2f} {med(lib, mode, 'peak_mb'):8.0f} "
                  f"{100 * med(lib, mode, 'analogy'):7.1f}% {med(lib, mode, 'wordsim'):8.3f}")
    if args.scaling:
        def train_s(lib, mode):
            return statistics.median(r["timings"]["train"] for r in runs
                                     if r["lib"] == lib and r["mode"] == mode)

        ratios = [train_s("skembed-1thread", m) / train_s("skembed", m) for m in modes]
        print(f"thread scaling (skembed train seconds, 1 thread / {args.threads} threads): "
              + ", ".join(f"{m} {x:.2f}x" for m, x in zip(modes, ratios, strict=True)))
    sk = [r for r in runs if r["lib"] in ("skembed", "skembed-pairwise", "skembed-subwords")]
    if sk:
        print(f"\nskembed fit split, {args.threads} threads (median s): " + ", ".join(
            f"{mode}: " + "/".join(
                f"{k} {statistics.median(r['timings'][k] for r in sk if r['mode'] == mode):.1f}"
                for k in ("tokenize", "vocab", "train"))
            for mode in modes))
    gs = [r for r in runs if r["lib"] in ("gensim", "gensim-fasttext")]
    if gs:
        print("gensim analogy with gensim's own evaluator: " + ", ".join(
            f"{r['lib']} {r['mode']} {100 * r['analogy_own_evaluator']:.1f}%"
            for r in gs[:len(modes) * 2]))


def memory(args):
    """Peak RSS of in-memory vs streamed training; streamed must not grow with size."""
    import tempfile

    src = Path(args.data) / CORPUS
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "corpus4x.txt.gz"
        with open(big, "wb") as out:  # concatenated gzip members are one valid stream
            for _ in range(4):
                out.write(src.read_bytes())
        runs = [("in-memory token lists, 1x", run_one("skembed", "cbow", args, epochs=1)),
                ("streamed file, 1x", run_one("skembed-stream", "cbow", args, src, 1)),
                ("streamed file, 4x", run_one("skembed-stream", "cbow", args, big, 1))]
    print(f"{'skembed CBOW, 1 epoch':28s} {'tokens':>12s} {'fit s':>7s} {'peak RSS MB':>12s}")
    for label, r in runs:
        print(f"{label:28s} {r['tokens']:12,d} {r['fit_s']:7.1f} {r['peak_mb']:12.0f}")


if __name__ == "__main__":
    main()
