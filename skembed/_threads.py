"""Thread-count handling: ``n_jobs`` to a thread count, scoped Numba threads."""

from contextlib import contextmanager

import numba


def resolve_n_threads(n_jobs):
    """Numba threads for ``n_jobs`` (None -> 1, -1 -> all, -2 -> all but one)."""
    max_threads = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return 1
    n_jobs = int(n_jobs)
    if n_jobs < 0:
        n_jobs = max_threads + 1 + n_jobs
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
