"""Compiled variants of one kernel source (no scikit-learn here)."""

import functools
import types

import numba


def variant(func, name, **names):
    """A copy of ``func`` under another name, its global ``names`` bound to
    other objects.

    Numba's on-disk cache is keyed by qualified name, so each compilation
    variant needs its own; and Numba resolves globals when it compiles
    (a global boolean is a constant: the branches it decides are pruned
    before typing), so a variant compiles only the code and the functions
    it names.
    """
    scope = dict(func.__globals__, **names)
    copy = types.FunctionType(func.__code__, scope, name, func.__defaults__)
    copy.__qualname__ = name
    return copy


def serial_or_parallel(func, **options):
    """Compile ``func`` (with ``prange`` loops) twice, on first use each:
    parallel, and serial (``prange`` runs as ``range``) for when Numba has
    one thread, the default of ``n_jobs=None``; a parallel kernel takes
    about three times as long to compile, for nothing on one thread.
    Returns a Python function choosing by ``numba.get_num_threads()``.
    """
    name = func.__name__
    parallel = numba.njit(parallel=True, **options)(variant(func, f"{name}_parallel"))
    serial = numba.njit(**options)(variant(func, f"{name}_serial"))

    @functools.wraps(func)
    def run(*args):
        return (parallel if numba.get_num_threads() > 1 else serial)(*args)

    run.parallel, run.serial = parallel, serial
    return run
