"""Threads: ``n_jobs`` to a thread count, its scope, and row blocks on threads.

``n_jobs`` counts threads: ``None`` is 1, a positive count is taken as
given (up to ``NUMBA_NUM_THREADS``), and ``-1`` / ``-2`` ...
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
not each start a thread per core.  Kernels that call BLAS on several
threads limit BLAS to one thread themselves (``topk``).

Kernels run on the calling thread and release the GIL, and work is split
over Python threads (:func:`in_row_blocks` for row-wise kernels, the word2vec
trainer for chunks) rather than Numba's ``prange``: a parallel Numba kernel
takes seconds longer to compile on a cold cache (the one exception:
word2vec's hierarchical softmax, faster under ``prange``).
``numba_threads`` scopes the count these splits read.
"""

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
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


_POOL = None  # (pid, executor): worker threads for in_row_blocks
_POOL_LOCK = threading.Lock()


def _worker_pool():
    """The process's worker threads, started on first use and shared by
    every split (a pool per call cost ~0.3 ms, which halved the throughput
    of the light recommenders, whose kernels run on blocks of a few dozen
    rows); a forked child starts its own."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            workers = max(numba.config.NUMBA_NUM_THREADS - 1, 1)
            _POOL = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="skembed"))
        return _POOL[1]


def in_threads(n_threads, task):
    """``[task(0), ..., task(n_threads - 1)]``, ``task(0)`` on the calling
    thread and the others on the process's worker threads (each ``task``
    calls compiled kernels that release the GIL).  When a task fails, the
    others are waited for (they write into the caller's arrays) and the
    first error is raised.  A task must not call this function itself (the
    workers would wait on each other)."""
    if n_threads <= 1:
        return [task(0)]
    pool = _worker_pool()
    futures = [pool.submit(task, i) for i in range(1, n_threads)]
    try:
        first = task(0)
    finally:
        wait(futures)
    return [first] + [future.result() for future in futures]


def in_row_blocks(n_rows, run, n_threads=None, align=1):
    """Call ``run(r0, r1)`` on contiguous blocks of rows covering
    ``0 .. n_rows``, one block per thread (:func:`in_threads`).

    ``n_threads`` defaults to ``numba.get_num_threads()`` (set by
    :func:`numba_threads` from ``n_jobs``); blocks start at multiples of
    ``align``.  Rows must be independent: the result is the same for any
    split.
    """
    n_threads = numba.get_num_threads() if n_threads is None else int(n_threads)
    n_units = -(-n_rows // align)
    n_blocks = max(1, min(n_threads, n_units))
    if n_blocks == 1:  # also no rows at all
        run(0, n_rows)
        return
    per = -(-n_units // n_blocks) * align
    bounds = [(a, min(a + per, n_rows)) for a in range(0, n_rows, per)]
    in_threads(len(bounds), lambda i: run(*bounds[i]))
