"""Output-layer structures: negative-sampling alias table and Huffman tree."""

import numpy as np
from numba import njit

# Alias thresholds are stored as uint32 so the kernels compare them with the
# low 32 bits of a random word directly (no float conversion per draw).
_TWO32 = float(2**32)


def negative_sampling_table(counts, ns_exponent=0.75):
    """Alias table for drawing keys with probability ~ ``count ** ns_exponent``.

    Any real exponent works: 1 samples by frequency, 0 uniformly, negative
    values favour rare keys.  A draw costs O(1) (Walker/Vose alias method):
    pick a bucket uniformly, keep it with probability ``threshold/2**32``,
    otherwise take its alias.

    Returns
    -------
    threshold : ndarray of uint32, shape (n_keys,)
    alias : ndarray of int32, shape (n_keys,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0:
        raise ValueError("cannot build a sampling table for an empty vocabulary")
    # work in log space so that large negative/positive exponents do not overflow
    logw = ns_exponent * np.log(np.maximum(counts, 1.0))
    w = np.exp(logw - logw.max())
    w[counts <= 0] = 0.0  # keys that never occur (pretrained only) are never drawn
    if not w.any():
        raise ValueError("cannot build a sampling table: no key has a positive count")
    prob = w * (w.size / w.sum())
    threshold, alias = _build_alias(prob)
    return threshold, alias


@njit(cache=True)
def _build_alias(scaled):
    n = scaled.shape[0]
    # plain loops rather than array functions: each numpy function is one
    # more thing to compile on a cold cache
    prob = np.empty(n, np.float64)
    alias = np.empty(n, np.int32)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        prob[i] = scaled[i]
        alias[i] = i
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        lg = large[nl - 1]
        alias[s] = lg
        prob[lg] = prob[lg] + prob[s] - 1.0
        if prob[lg] < 1.0:
            nl -= 1
            small[ns] = lg
            ns += 1
    # leftovers are 1 up to rounding
    threshold = np.empty(n, np.uint32)
    for i in range(n):
        p = prob[i]
        if p < 0.0:
            p = 0.0
        elif p > 1.0:
            p = 1.0
        t = p * 4294967296.0
        threshold[i] = np.uint32(4294967295) if t >= 4294967295.0 else np.uint32(t)
    for k in range(ns):
        threshold[small[k]] = np.uint32(4294967295)
    for k in range(nl):
        threshold[large[k]] = np.uint32(4294967295)
    return threshold, alias


def alias_probabilities(threshold, alias):
    """Exact sampling distribution encoded by an alias table (for tests)."""
    n = threshold.shape[0]
    keep = threshold.astype(np.float64) / _TWO32
    keep[threshold == np.uint32(4294967295)] = 1.0
    p = keep / n
    np.add.at(p, alias, (1.0 - keep) / n)
    return p


@njit(cache=True)
def huffman_tree(counts):
    """Huffman codes for hierarchical softmax (C tool construction, O(n)).

    ``counts`` must be sorted in descending order.  Inner nodes are numbered
    ``0 .. n-2`` (row of the output matrix ``syn1``); the root is ``n-2``.

    Returns
    -------
    codes : uint8 (n, max_len)  branch taken at each level, root first
    points : int32 (n, max_len)  inner node visited at each level
    lengths : int32 (n,)  code length of each key
    """
    n = counts.shape[0]
    if n == 1:
        # a single key needs one (constant) decision to have a trainable path
        return np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), np.ones(1, np.int32)
    count = np.empty(2 * n, np.int64)
    binary = np.zeros(2 * n, np.uint8)
    parent = np.zeros(2 * n, np.int64)
    for i in range(n):
        count[i] = counts[i]
    for i in range(n, 2 * n):
        count[i] = np.int64(1) << 62
    pos1 = n - 1
    pos2 = n
    for a in range(n - 1):
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min1 = pos1
            pos1 -= 1
        else:
            min1 = pos2
            pos2 += 1
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min2 = pos1
            pos1 -= 1
        else:
            min2 = pos2
            pos2 += 1
        count[n + a] = count[min1] + count[min2]
        parent[min1] = n + a
        parent[min2] = n + a
        binary[min2] = 1
    lengths = np.zeros(n, np.int32)
    for a in range(n):
        b = a
        depth = 0
        while b != 2 * n - 2:
            depth += 1
            b = parent[b]
        lengths[a] = depth
    max_len = lengths.max()
    codes = np.zeros((n, max_len), np.uint8)
    points = np.zeros((n, max_len), np.int32)
    for a in range(n):
        b = a
        d = lengths[a]
        while b != 2 * n - 2:
            d -= 1
            codes[a, d] = binary[b]
            points[a, d] = parent[b] - n
            b = parent[b]
    return codes, points, lengths
