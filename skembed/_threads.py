"""Threads: the one thread policy of skembed.

``n_jobs`` -> threads (:func:`resolve_n_threads`, scikit-learn's rule)
    ``None`` is 1 unless a joblib ``parallel_config`` / ``parallel_backend``
    context sets ``n_jobs``; a positive count is taken as given (up to
    ``NUMBA_NUM_THREADS``); ``-1`` / ``-2`` ... count back from the threads
    this process may use (:func:`available_threads`), which is fewer than the
    machine's cores where a parallel runner has already shared them out:

    - ``OMP_NUM_THREADS`` caps it when set, as scikit-learn's OpenMP code
      reads it.  Dask's nanny starts every worker process with
      ``OMP_NUM_THREADS=1`` (and one BLAS thread), since Dask's parallelism
      is its worker threads; joblib's process workers get the cores divided
      by the outer ``n_jobs``.
    - In a Dask worker thread (threads of ``distributed`` workers inside this
      process), the cores are shared by all those worker threads.

    So estimators fitted by ``GridSearchCV(n_jobs=-1)`` under
    ``joblib.parallel_backend("dask")``, or run block-wise on Dask workers,
    do not each start a thread per core.  ``n_jobs=0`` is an error.

Running work on threads
    Every thread skembed starts is one of the process's worker threads
    (:func:`in_threads`; the calling thread takes the first share), and a
    failed or interrupted share stops the others through one ``stop`` event.
    The thread count is always passed explicitly (``n_threads``); nothing
    reads Numba's thread count as a hidden setting.  :func:`in_row_blocks`
    splits independent rows into one block per thread (pooling, exact
    top-k, the recommender scorers); the word2vec trainer gives each thread
    its stripe of chunks; entity training runs its Hogwild shares, or the
    whole networks of an ensemble side by side.  Kernels
    run on the calling thread and release the GIL: a parallel Numba kernel
    (``prange``) takes seconds longer to compile on a cold cache.  The one
    ``prange`` kernel is word2vec's hierarchical-softmax pass on several
    threads (Python threads trained it 13 % slower); it runs under
    :func:`prange_threads`.

BLAS
    :func:`blas_threads` limits BLAS (threadpoolctl), scoped: kernels that
    call BLAS on several threads of their own run BLAS with one thread
    (``topk``), entity training with one per training thread.
"""

import numbers
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


def _context_n_jobs():
    """``n_jobs`` of the active joblib ``parallel_config`` / ``parallel_backend``
    context of this thread, or None outside one."""
    from joblib.parallel import get_active_backend

    return get_active_backend()[1]


def resolve_n_threads(n_jobs):
    """Threads for ``n_jobs``, scikit-learn's rule: ``None`` is 1 unless a
    joblib ``parallel_config`` / ``parallel_backend`` context sets
    ``n_jobs``; a positive count is taken as given (up to
    ``NUMBA_NUM_THREADS``); ``-1`` is every thread this process may use
    (:func:`available_threads`), ``-2`` all but one, ...; 0 is an error."""
    if n_jobs is None:
        n_jobs = _context_n_jobs()
        if n_jobs is None:
            return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None, a positive int or a negative int (-1: all "
                         f"threads), got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs < 0:
        n_jobs = available_threads() + 1 + n_jobs
    return int(min(max(n_jobs, 1), numba.config.NUMBA_NUM_THREADS))


@contextmanager
def prange_threads(n_threads):
    """Run the block with Numba's thread count at ``n_threads``, for the
    one kernel that runs a ``prange`` loop (word2vec's hierarchical softmax
    pass); the caller's count is restored on exit (also on error)."""
    previous = numba.get_num_threads()
    numba.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


@contextmanager
def blas_threads(n_threads):
    """Run the block with at most ``n_threads`` BLAS threads (threadpoolctl;
    the previous limits come back afterwards).  Every BLAS limit of skembed
    goes through here."""
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
    """``[task(0, stop), ..., task(n_threads - 1, stop)]``: ``task(0)`` on the
    calling thread, the others on the process's worker threads (each task
    calls compiled kernels or numpy code that release the GIL).

    The one stop-on-error mechanism of skembed's threads: ``stop`` is a
    ``threading.Event`` shared by the tasks, set as soon as one fails (or
    the caller is interrupted, e.g. Ctrl-C).  A long task polls
    ``stop.is_set()`` between its units of work and returns early; a task
    may also set it itself (e.g. a diverging loss) to stop the others.  The
    call returns once every task has finished (they write into the
    caller's arrays) and raises the first error.  A task must not call this
    function itself (the workers would wait on each other).
    """
    stop = threading.Event()

    def guarded(i):
        try:
            return task(i, stop)
        except BaseException:
            stop.set()
            raise

    if n_threads <= 1:
        return [guarded(0)]
    pool = _worker_pool()
    futures = [pool.submit(guarded, i) for i in range(1, n_threads)]
    try:
        first = guarded(0)
    finally:
        _wait_all(futures, stop)
    return [first] + [future.result() for future in futures]


def _wait_all(futures, stop):
    """Wait for ``futures``; a KeyboardInterrupt while waiting sets ``stop``,
    waits for the tasks to return, and is raised then."""
    interrupted = None
    while True:
        try:
            if not wait(futures, timeout=0.2).not_done:
                break
        except KeyboardInterrupt as exc:
            stop.set()
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def in_row_blocks(n_rows, run, n_threads, align=1):
    """Call ``run(r0, r1)`` on contiguous blocks of rows covering
    ``0 .. n_rows``, one block per thread (:func:`in_threads`), blocks
    starting at multiples of ``align``.  Rows must be independent: the
    result is the same for any split.
    """
    n_units = -(-n_rows // align)
    n_blocks = max(1, min(int(n_threads), n_units))
    if n_blocks == 1:  # also no rows at all
        run(0, n_rows)
        return
    per = -(-n_units // n_blocks) * align
    bounds = [(a, min(a + per, n_rows)) for a in range(0, n_rows, per)]
    in_threads(len(bounds), lambda i, stop: run(*bounds[i]))
