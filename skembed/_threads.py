"""Thread-count handling: ``n_jobs`` to a thread count, scoped Numba threads.

``n_jobs`` counts Numba threads: ``None`` is 1, a positive count is taken as
given (up to Numba's pool, ``NUMBA_NUM_THREADS``), and ``-1`` / ``-2`` ...
count back from the threads this process may use (:func:`available_threads`),
which is fewer than the machine's cores where a parallel runner has already
shared them out:

- ``OMP_NUM_THREADS`` caps it when set, as scikit-learn's OpenMP code reads
  it.  Dask's nanny starts every worker process with ``OMP_NUM_THREADS=1``
  (and one BLAS thread), since Dask's parallelism is its worker threads;
  joblib's process workers get the cores divided by the outer ``n_jobs``.
- In a Dask worker thread (threads of ``distributed`` workers inside this
  process), the cores are shared by all those worker threads.

So estimators fitted by ``GridSearchCV(n_jobs=-1)`` under
``joblib.parallel_backend("dask")``, or run block-wise on Dask workers, do
not each start a thread per core.  Kernels that call BLAS from inside a
parallel region limit BLAS to one thread themselves (``topk``).
"""

import os
import sys
from contextlib import contextmanager

import numba


def _omp_limit():
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        return max(int(value), 1)
    except ValueError:
        return None


def _dask_worker_limit():
    """Cores per worker thread when this thread runs a Dask task, else None."""
    if sys.modules.get("distributed") is None:
        return None
    from distributed import Worker, get_worker

    try:
        get_worker()
    except ValueError:
        return None
    threads = sum(max(int(w.state.nthreads), 1) for w in list(Worker._instances))
    return max((os.cpu_count() or 1) // max(threads, 1), 1)


def available_threads():
    """Threads ``n_jobs=-1`` means: Numba's pool, capped by ``OMP_NUM_THREADS``
    and, in a Dask worker thread, by the cores per worker thread."""
    limit = numba.config.NUMBA_NUM_THREADS
    for cap in (_omp_limit(), _dask_worker_limit()):
        if cap is not None:
            limit = min(limit, cap)
    return int(limit)


def resolve_n_threads(n_jobs):
    """Numba threads for ``n_jobs`` (None -> 1, -1 -> all available, -2 -> all
    but one; see the module docstring)."""
    max_threads = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return 1
    n_jobs = int(n_jobs)
    if n_jobs < 0:
        n_jobs = available_threads() + 1 + n_jobs
    return int(min(max(n_jobs, 1), max_threads))


@contextmanager
def numba_threads(n_jobs):
    """Run the block with ``resolve_n_threads(n_jobs)`` Numba threads and give
    the caller's thread count back afterwards (also on error)."""
    previous = numba.get_num_threads()
    numba.set_num_threads(resolve_n_threads(n_jobs))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


@contextmanager
def blas_threads(n_threads):
    """Run the block with at most ``n_threads`` BLAS threads (threadpoolctl;
    the previous limits come back afterwards)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(n_threads), user_api="blas"):
        yield
