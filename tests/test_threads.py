"""n_jobs to thread counts, and skembed without its optional Dask support."""

import subprocess
import sys

import numba
import pytest

from skembed._threads import available_threads, resolve_n_threads


def test_n_jobs_counts_back_from_the_available_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    n = numba.config.NUMBA_NUM_THREADS
    assert available_threads() == n
    assert resolve_n_threads(None) == 1
    assert resolve_n_threads(-1) == n
    assert resolve_n_threads(-2) == max(n - 1, 1)
    assert resolve_n_threads(10_000) == n


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
from skembed import EntityEmbeddingRegressor, NearestNeighborRecommender, Word2VecTransformer
from skembed.word2vec import kernels as wk

docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
Word2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs)
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
    chunk kernel only and the item2vec inside the recommender the skip-gram
    one; no kernel is a parallel (``prange``) one, and none compiles twice
    (a literal argument, a read-only array or another index dtype would each
    add a compilation: seconds on a cold cache)."""
    import json

    out = subprocess.run([sys.executable, "-c", _COMPILED], check=True,
                         capture_output=True, text=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["chunk"] == ["cbow_ns", "sg_ns"]
    compiled = got["compiled"]
    assert {"skembed.pooling._pool", "skembed.topk._merge_tile",  # the scan sees them
            "skembed.recommend.kernels._session_knn_neighbours",
            "skembed.entity.kernels.sparse_adam"} <= set(compiled)
    assert not [name for name, (_, parallel) in compiled.items() if parallel]
    assert {name: n for name, (n, _) in compiled.items() if n > 1} == {}
