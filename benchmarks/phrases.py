"""skembed PhraseTransformer vs gensim Phrases: speed, memory and the phrases found.

Both libraries learn phrases from the same token lists, all 100,000 reviews
of the Large Movie Review Dataset (the tokens of ``benchmarks/doc2vec.py``:
lowercase words of two or more letters or digits), then join the phrases of
the 25,000 test reviews (gensim: its frozen model, ``Phrases.freeze()``, as
gensim advises for transforming).  Printed per setting: fit seconds and the
ratio to gensim, transform seconds, peak resident memory of the process,
the number of phrases and their agreement with gensim's
``export_phrases()`` (Jaccard index of the phrase sets, largest score
difference on the common phrases).  Every fit runs in its own subprocess;
the libraries alternate within each repeat.

Usage::

    python benchmarks/phrases.py --data ../shared/data --repeats 3
    python benchmarks/phrases.py --data ../shared/data --settings bounded

Settings: ``default`` (min_count 5, threshold 10), ``connectors`` (gensim's
English connector words), ``npmi`` (threshold 0.5), ``bounded``
(``max_vocab_size`` 1,000,000: pruning binds).
"""

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from doc2vec import tokenized  # noqa: E402

SETTINGS = {
    "default": dict(),
    "connectors": dict(connector_words="english"),
    "npmi": dict(scoring="npmi", threshold=0.5),
    "bounded": dict(max_vocab_size=1_000_000),
}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args):
    folders = tokenized(args.data, args.max_reviews)
    docs = [d for folder in folders.values() for d in folder]
    test = folders["test/pos"] + folders["test/neg"]
    params = SETTINGS[args.setting]
    baseline = rss_mb()
    out = dict(lib=args.lib, setting=args.setting, documents=len(docs),
               tokens=sum(map(len, docs)))
    if args.lib == "gensim":
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

        kwargs = dict(params)
        if kwargs.get("connector_words") == "english":
            kwargs["connector_words"] = ENGLISH_CONNECTOR_WORDS
        t0 = time.perf_counter()
        model = Phrases(docs, **kwargs)
        out["fit_s"] = time.perf_counter() - t0
        out["vocab_entries"] = len(model.vocab)
        phrases = model.export_phrases()
        frozen = model.freeze()
        t0 = time.perf_counter()
        joined = [frozen[d] for d in test]
        out["transform_s"] = time.perf_counter() - t0
    else:
        from skembed import PhraseTransformer

        PhraseTransformer(**params).fit(docs[:50])  # compiled (cold cache) untimed
        t0 = time.perf_counter()
        model = PhraseTransformer(**params).fit(docs)
        out["fit_s"] = time.perf_counter() - t0
        phrases = model.phrases_
        t0 = time.perf_counter()
        joined = model.transform(test)
        out["transform_s"] = time.perf_counter() - t0
    out["peak_mb"] = rss_mb()
    out["corpus_mb"] = baseline
    out["phrases"] = len(phrases)
    out["joined_tokens"] = sum(map(len, joined))
    with open(args.out, "wb") as f:
        pickle.dump(phrases, f)
    print(json.dumps(out))


def run_one(lib, setting, args, path):
    cmd = [sys.executable, __file__, "--worker", "--lib", lib, "--setting", setting,
           "--out", str(path)]
    if args.data:
        cmd += ["--data", str(args.data)]
    if args.max_reviews:
        cmd += ["--max-reviews", str(args.max_reviews)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default: $SKEMBED_DATA)")
    p.add_argument("--settings", default="default,connectors",
                   help="comma list of " + ",".join(SETTINGS))
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--max-reviews", type=int, default=None)
    p.add_argument("--json", default=None, help="also write all runs to this file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--lib", help=argparse.SUPPRESS)
    p.add_argument("--setting", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)
    from skembed.datasets import data_home

    try:
        args.data = str(data_home(args.data, "text/aclImdb_v1.tar.gz"))
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    tokenized(args.data, args.max_reviews)  # the cache, once
    settings = args.settings.split(",")
    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}", file=sys.stderr, flush=True)
    runs, sets = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for setting in settings:
                libs = ["gensim", "skembed"] if rep % 2 == 0 else ["skembed", "gensim"]
                for lib in libs:
                    path = Path(tmp) / f"{lib}-{setting}.pkl"
                    r = run_one(lib, setting, args, path)
                    r["repeat"] = rep
                    runs.append(r)
                    with open(path, "rb") as f:
                        sets[lib, setting] = pickle.load(f)
                    print(f"# repeat {rep + 1} {setting:10s} {lib:8s} fit {r['fit_s']:6.1f}s "
                          f"transform {r['transform_s']:5.1f}s phrases {r['phrases']:,}",
                          file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"# done {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}", file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))

    def med(lib, setting, key):
        return statistics.median(r[key] for r in runs
                                 if r["lib"] == lib and r["setting"] == setting)

    print(f"\nIMDB: {runs[0]['documents']:,} reviews, {runs[0]['tokens']:,} tokens; "
          f"transform: the test reviews; median of {args.repeats} run(s)")
    header = (f"{'setting':10s} {'library':8s} {'fit s':>7s} {'x gensim':>9s} "
              f"{'transform s':>12s} {'peak MB':>8s} {'phrases':>8s} {'Jaccard':>8s} "
              f"{'max |dscore|':>13s}")
    print(header)
    print("-" * len(header))
    for setting in settings:
        theirs = sets["gensim", setting]
        for lib in ("gensim", "skembed"):
            ours = sets[lib, setting]
            common = set(ours) & set(theirs)
            jaccard = len(common) / max(len(set(ours) | set(theirs)), 1)
            diff = max((abs(ours[k] - theirs[k]) for k in common), default=0.0)
            print(f"{setting:10s} {lib:8s} {med(lib, setting, 'fit_s'):7.1f} "
                  f"{med('gensim', setting, 'fit_s') / med(lib, setting, 'fit_s'):9.2f} "
                  f"{med(lib, setting, 'transform_s'):12.1f} "
                  f"{med(lib, setting, 'peak_mb'):8.0f} {len(ours):8,d} {jaccard:8.4f} "
                  f"{diff:13.3g}")
        pairs = [(g, s) for g in runs for s in runs
                 if g["lib"] == "gensim" and s["lib"] == "skembed"
                 and g["setting"] == s["setting"] == setting and g["repeat"] == s["repeat"]]
        print(f"{'':10s} skembed / gensim fit per repeat: "
              + ", ".join(f"{g['fit_s'] / s['fit_s']:.2f}x" for g, s in pairs))


if __name__ == "__main__":
    main()
