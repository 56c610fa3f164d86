"""Compiled variants of one kernel source (no scikit-learn here)."""

import types

from numba import njit


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


def inner(**options):
    """``njit`` for a function called only from compiled code: Numba then
    generates no Python or C entry point for it, less to compile on a cold
    cache.  Calling it from Python crashes the interpreter (tests call it
    through a compiled shim).  ``error_model="numpy"``, as for the kernels
    of the default paths: a division by zero gives inf or nan instead of
    raising, so there are no exception branches to compile; the kernels
    guard their divisions."""
    return njit(nogil=True, cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True,
                error_model="numpy", **options)
