"""Compiled variants of one kernel source, helpers compiled for compiled
callers only, and the cache stamp of a package of kernel modules (no
scikit-learn here)."""

import functools
import hashlib
import os
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


# -- one cache stamp for a package of kernel modules ---------------------------
# Numba's on-disk cache of a compiled function is invalidated when the
# function's own source file changes, not when a helper compiled into it
# from another file does (Numba tracks no such dependency).  The word2vec
# chunk kernel inlines helpers from several modules of skembed/word2vec, and
# the entity network's training steps (entity/step_kernels.py) the gathers,
# scatters and sparse Adam of entity/kernels.py, so there the source stamp of
# every cached function covers all the package's modules: editing any of
# them recompiles them all.
_SHARED_STAMP_DIRS = {os.path.join(os.path.dirname(os.path.realpath(__file__)), package)
                      for package in ("word2vec", "entity")}


@functools.cache
def _file_hash(path, mtime_ns, size):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def package_stamp(directory):
    """A stamp of every module of ``directory`` (content hashes, as Numba's
    own source stamps): it changes when any of them does."""
    stamp = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".py"):
            path = os.path.join(directory, name)
            st = os.stat(path)
            stamp.append((name, _file_hash(path, st.st_mtime_ns, st.st_size)))
    return tuple(stamp)


def _install_package_locator():
    from numba.core import caching, config

    in_tree = (getattr(caching, "InTreeCacheLocator", None)
               or getattr(caching, "_InTreeCacheLocator", None))
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    locators = getattr(impl, "_locator_classes", None)
    if in_tree is None or not isinstance(locators, list):
        return None  # another Numba: each file's own stamp (clear __pycache__ after edits)

    class PackageCacheLocator(in_tree):
        """In-tree cache whose source stamp covers every module of the
        function's package (:data:`_SHARED_STAMP_DIRS`)."""

        def get_source_stamp(self):
            return package_stamp(os.path.dirname(self._py_file))

        @classmethod
        def from_function(cls, py_func, py_file):
            if config.CACHE_DIR or os.path.dirname(os.path.realpath(py_file)) not in \
                    _SHARED_STAMP_DIRS:
                return None
            return super().from_function(py_func, py_file)

    for cls in locators:
        if cls.__name__ == "PackageCacheLocator":  # (a reloaded module)
            return cls
    locators.insert(locators.index(in_tree) if in_tree in locators else 0,
                    PackageCacheLocator)
    return PackageCacheLocator


PackageCacheLocator = _install_package_locator()
