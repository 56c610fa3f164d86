"""n_jobs to thread counts, and skembed without its optional Dask support."""

import subprocess
import sys

import numba
import pytest

import skembed
from skembed._threads import available_threads, in_row_blocks, in_threads, resolve_n_threads


def test_n_jobs_counts_back_from_the_available_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    n = numba.config.NUMBA_NUM_THREADS
    assert available_threads() == n
    assert resolve_n_threads(None) == 1
    assert resolve_n_threads(-1) == n
    assert resolve_n_threads(-2) == max(n - 1, 1)
    assert resolve_n_threads(10_000) == n


def test_n_jobs_none_follows_a_joblib_context(monkeypatch):
    """scikit-learn's rule: None is 1 unless a joblib context sets n_jobs."""
    from joblib import parallel_backend, parallel_config

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    n = numba.config.NUMBA_NUM_THREADS
    with parallel_config(n_jobs=2):
        assert resolve_n_threads(None) == min(2, n)
        assert resolve_n_threads(1) == 1  # an explicit count wins
    with parallel_backend("threading", n_jobs=-1):
        assert resolve_n_threads(None) == n
    with parallel_config(backend="threading"):  # no n_jobs: still one thread
        assert resolve_n_threads(None) == 1
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs"):
            resolve_n_threads(bad)


def test_in_threads_stops_every_share_on_the_first_error():
    import threading

    started = threading.Barrier(2, timeout=10)
    done = []

    def task(i, stop):
        if i == 1:
            started.wait()
            raise RuntimeError("share 1 failed")
        started.wait()
        for _ in range(1000):  # a long share polls the stop flag between units
            if stop.is_set():
                done.append("stopped")
                return None
            threading.Event().wait(0.01)
        done.append("finished")

    with pytest.raises(RuntimeError, match="share 1 failed"):
        in_threads(2, task)
    assert done == ["stopped"]
    # a share may stop the others itself (e.g. a diverging loss)
    assert in_threads(2, lambda i, stop: stop.set() or i) == [0, 1]


def test_row_blocks_take_the_thread_count_given():
    seen = []
    in_row_blocks(10, lambda a, b: seen.append((a, b)), 2)
    assert sorted(seen) == [(0, 5), (5, 10)]
    seen.clear()
    in_row_blocks(10, lambda a, b: seen.append((a, b)), 1)
    assert seen == [(0, 10)]


def test_threads_start_only_in_the_thread_policy():
    """Every thread skembed starts comes from skembed._threads, and nothing
    but its prange scope sets Numba's thread count."""
    import pathlib
    import re

    root = pathlib.Path(skembed.__file__).parent
    pattern = re.compile(r"threading\.Thread\(|ThreadPoolExecutor\(|set_num_threads\(|"
                         r"threadpool_limits\(")
    found = {str(p.relative_to(root.parent)) for p in root.rglob("*.py")
             if pattern.search(p.read_text())}
    assert found <= {"skembed/_threads.py"}, found


def test_omp_num_threads_caps_all_cores(monkeypatch):
    """A process started by a parallel runner (Dask's nanny sets 1, joblib's
    process workers their share) must not take every core with n_jobs=-1."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert resolve_n_threads(-1) == 1
    assert resolve_n_threads(-3) == 1
    # an explicit count is the caller's choice
    assert resolve_n_threads(2) == min(2, numba.config.NUMBA_NUM_THREADS)
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert resolve_n_threads(-1) == numba.config.NUMBA_NUM_THREADS


_WITHOUT_DASK = """
import sys
for name in ("dask", "distributed"):
    sys.modules[name] = None  # importing them now fails
import skembed
from skembed import ItemSequenceEmbedder, Word2VecTransformer, sequences_from_events
from skembed._dask import is_dask_collection
w2v = Word2VecTransformer(vector_size=4, min_count=1, n_jobs=1).fit(["aa bb cc", "bb cc dd"])
assert w2v.transform(["aa bb"]).shape == (1, 4)
emb = ItemSequenceEmbedder(vector_size=4).fit([[1, 2], [2, 3]])
assert emb.transform([[1]]).shape == (1, 4)
assert not is_dask_collection([1, 2])
assert not any(m.split(".")[0] in ("dask", "distributed") for m in sys.modules
               if sys.modules[m] is not None)
"""


@pytest.mark.filterwarnings("ignore")
def test_skembed_works_without_dask():
    subprocess.run([sys.executable, "-c", _WITHOUT_DASK], check=True, timeout=300)


_COMPILED = """
import importlib, json, pkgutil
import numba, numpy as np, pandas as pd
import skembed
from skembed import (Doc2VecTransformer, EntityEmbeddingRegressor, NearestNeighborRecommender,
                     PhraseTransformer, Word2VecTransformer)
from skembed.word2vec import kernels as wk

docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
Word2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs)
Doc2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs)
Doc2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs[:3])
PhraseTransformer(min_count=1, max_vocab_size=5).fit(docs).transform(docs)
seqs = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"]] * 20
rec = NearestNeighborRecommender(n_recommendations=2).fit(seqs)
rec.predict([["a", "b"]])
rec.recommend([["a"]], return_scores=True)
X = pd.DataFrame({"store": list("abcd") * 25, "x": np.arange(100.0)})
EntityEmbeddingRegressor(max_iter=2).fit(X, np.arange(100.0)).predict(X)
compiled = {}
for info in pkgutil.walk_packages(skembed.__path__, "skembed."):
    mod = importlib.import_module(info.name)
    for obj in list(vars(mod).values()) + list(wk._CHUNK.values()):
        if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.signatures:
            name = obj.py_func.__module__ + "." + obj.py_func.__qualname__
            compiled[name] = (len(obj.signatures), bool(obj.targetoptions.get("parallel")))
print(json.dumps({"chunk": sorted(m for m, d in wk._CHUNK.items() if d.signatures),
                  "compiled": compiled}))
"""


def test_default_fits_compile_each_kernel_once():
    """Cold start: a default word2vec fit compiles the CBOW negative-sampling
    chunk kernel only, the item2vec inside the recommender the skip-gram
    one, a default Doc2VecTransformer PV-DBOW's and its inference variant
    (phrases: their own kernels); no kernel is a parallel (``prange``) one, and none compiles twice
    (a literal argument, a read-only array or another index dtype would each
    add a compilation: seconds on a cold cache)."""
    import json

    out = subprocess.run([sys.executable, "-c", _COMPILED], check=True,
                         capture_output=True, text=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["chunk"] == ["cbow_ns", "dbow_ns", "dbow_ns_infer", "sg_ns"]
    compiled = got["compiled"]
    assert {"skembed.pooling._pool", "skembed.topk.merge_tile",  # the scan sees them
            "skembed.recommend.knn_kernels._session_knn_neighbours",
            "skembed.entity.step_kernels.train_steps",
            "skembed.word2vec.phrase_kernels.phrase_candidates",
            "skembed.word2vec.phrase_kernels.merge_block",
            "skembed.word2vec.phrase_kernels.compact"
            } <= set(compiled)
    assert not [name for name, (_, parallel) in compiled.items() if parallel]
    assert {name: n for name, (n, _) in compiled.items() if n > 1} == {}
