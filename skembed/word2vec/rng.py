"""Random numbers of the word2vec kernels: a splitmix64 stream per chunk
(seeded from ``(seed, chunk)``, which makes single-threaded runs
bit-reproducible) and the negative-sampling draws from the alias table.
Compiled helpers inlined by LLVM (:func:`skembed._variants.inner`)."""

import numpy as np

from .._variants import inner

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U30 = np.uint64(30)
_U27 = np.uint64(27)
_U31 = np.uint64(31)
_U32 = np.uint64(32)
_U40 = np.uint64(40)
_LOW32 = np.uint64(0xFFFFFFFF)


# Small helpers are compiled once each and inlined by LLVM (``inner``):
# Numba's own inlining (``inline="always"``) types the helper again at every
# call site, which was a sixth of the skip-gram kernel's cold compile time.
# The output layer and the loops of hierarchical softmax and subwords stay
# inlined by Numba: as calls, training was 10-40 % slower.
@inner(fastmath=True)
def mix64(z):
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


@inner(fastmath=True)
def next_random(state):
    """splitmix64 step: returns (new_state, random uint64)."""
    state = state + GOLDEN
    return state, mix64(state)


@inner(fastmath=True)
def random_below(z, n):
    """Map a random uint64 to an int in [0, n) (multiply-shift on 32 bits)."""
    return np.int64(((z >> _U32) * np.uint64(n)) >> _U32)


@inner(fastmath=True)
def random_uniform(z):
    """Random float in [0, 1) from the high bits."""
    return np.float32(z >> _U40) * np.float32(1.0 / 16777216.0)


@inner(fastmath=True)
def draw_negative(z, threshold, alias):
    n = threshold.shape[0]
    k = random_below(z, n)
    if (z & _LOW32) < np.uint64(threshold[k]):
        return k
    return np.int64(alias[k])


@inner(fastmath=True)
def draw_negatives(negs, target, threshold, alias, state):
    """Fill ``negs`` with negative samples (-1 where the draw hit ``target``)."""
    for d in range(negs.shape[0]):
        state, z = next_random(state)
        row = draw_negative(z, threshold, alias)
        negs[d] = -1 if row == target else row
    return state
