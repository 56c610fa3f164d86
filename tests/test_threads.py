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


_COMPILED_MODES = """
import json
from skembed import NearestNeighborRecommender, Word2VecTransformer
from skembed import pooling, topk
from skembed.recommend import kernels as rk
from skembed.word2vec import kernels as wk

docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
Word2VecTransformer(vector_size=8, min_count=1, epochs=1).fit(docs).transform(docs)
seqs = [["a", "b", "c"], ["b", "c", "d"], ["c", "d", "e"]] * 20
NearestNeighborRecommender(n_recommendations=2).fit(seqs).predict([["a", "b"]])
threaded = [pooling._pool, topk.blocked_top_k, rk.add_rule_scores, rk.add_history_scores,
            rk.add_session_knn_scores, rk.add_minmax_scaled, rk.minmax_scale_rows,
            rk.top_k_rows]
print(json.dumps({
    "chunk": sorted(m for m, d in wk._CHUNK.items() if d.signatures),
    "passes": sorted(m for m, d in wk._PASS.items() if d.signatures),
    "parallel": [f.__name__ for f in threaded if f.parallel.signatures],
    "serial": [f.__name__ for f in threaded if f.serial.signatures],
}))
"""


def test_default_fits_compile_only_their_own_kernels():
    """Cold start: a default (one-thread) word2vec fit compiles the CBOW
    negative-sampling chunk kernel only, the item2vec inside the recommender
    the skip-gram one, and no parallel kernel compiles on one thread (each
    would add seconds of compilation on a cold cache)."""
    import json

    out = subprocess.run([sys.executable, "-c", _COMPILED_MODES], check=True,
                         capture_output=True, text=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["chunk"] == ["cbow_ns", "sg_ns"]
    assert got["passes"] == []
    assert got["parallel"] == []
    assert "_pool" in got["serial"] and "top_k_rows" in got["serial"]
