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
