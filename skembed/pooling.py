"""Numba kernel that pools key vectors into one vector per sequence.

Used for document vectors (mean, tf-idf, SIF) and item-sequence profiles.
"""

import numpy as np
from numba import njit, prange


@njit(nogil=True, fastmath=True, cache=True, parallel=True)
def pool_vectors(ids, starts, key_weights, vectors, by_weight_sum, half_life=0.0):
    """Weighted average of ``vectors[ids]`` per sequence.

    Parameters
    ----------
    ids : int32 array, flat key indices; negative entries (unknown keys) are
        skipped.
    starts : int64 array (n_sequences + 1), sequence boundaries in ``ids``.
    key_weights : float32 array (n_keys,), weight of each key.
    vectors : float32 array (n_keys, dim).
    by_weight_sum : bool
        Divide by the sum of weights (weighted mean) if True, by the number
        of known tokens otherwise (SIF's ``1/|s| sum a/(a+p(w)) v_w``).
    half_life : float
        If > 0, multiply weights by ``0.5 ** (age / half_life)`` where ``age``
        is the distance in positions from the last element (recency profile).

    Returns
    -------
    out : float32 array (n_sequences, dim); rows of sequences without any
    known key are zero.
    """
    n = starts.shape[0] - 1
    dim = vectors.shape[1]
    out = np.zeros((n, dim), np.float32)
    for s in prange(n):
        total = 0.0
        count = 0
        for p in range(starts[s], starts[s + 1]):
            w = ids[p]
            if w < 0:
                continue
            a = key_weights[w]
            if half_life > 0:
                a *= 0.5 ** ((starts[s + 1] - 1 - p) / half_life)
            total += a
            count += 1
            for k in range(dim):
                out[s, k] += a * vectors[w, k]
        denom = total if by_weight_sum else float(count)
        if count > 0 and denom > 0:
            inv = np.float32(1.0 / denom)
            for k in range(dim):
                out[s, k] *= inv
    return out


@njit(nogil=True, cache=True)
def document_frequency(ids, starts, n_keys):
    """Number of sequences containing each key (negative ids skipped), in one
    pass with a last-seen marker per key (no sorting, no large temporaries)."""
    df = np.zeros(n_keys, np.int64)
    last = np.full(n_keys, -1, np.int64)
    for s in range(starts.shape[0] - 1):
        for p in range(starts[s], starts[s + 1]):
            w = ids[p]
            if w >= 0 and last[w] != s:
                last[w] = s
                df[w] += 1
    return df
