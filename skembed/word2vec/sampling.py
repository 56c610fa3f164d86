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


def _build_alias(scaled):
    """Vose's alias table of ``scaled`` (mean 1), from cumulative sums.

    Vose's method pairs the "small" buckets (``scaled < 1``) with the
    "large" ones, both taken from the highest index down: the current large
    bucket lends its excess to one small bucket after another until it falls
    below 1 itself; it then borrows from the next large bucket, which goes
    on lending.  On the line of cumulative deficits ``D`` (small buckets)
    and cumulative excesses ``E`` (large ones) this is two searches: small
    ``i`` borrows from the first large ``j`` with ``E[j] >= D[i-1]``, and
    large ``j`` falls below 1 at the first small ``i`` with ``D[i] > E[j]``,
    keeping ``1 - (D[i] - E[j])`` and borrowing from large ``j + 1``.  (numpy:
    nothing to compile on a cold cache; the sums in extended precision keep
    the cancellation in ``D[i] - E[j]`` below a unit of the uint32
    thresholds.)
    """
    n = scaled.shape[0]
    index = np.arange(n)
    smalls = np.flatnonzero(scaled < 1.0)[::-1]
    larges = np.flatnonzero(scaled >= 1.0)[::-1]
    deficit = 1.0 - scaled[smalls]
    D = np.cumsum(deficit, dtype=np.longdouble)
    E = np.cumsum(scaled[larges] - 1.0, dtype=np.longdouble)
    alias = index.astype(np.int32)
    keep = np.ones(n)  # leftovers (rounding) keep their own bucket
    j = np.searchsorted(E, D - deficit, side="left")
    lent = j < len(larges)
    alias[smalls[lent]] = larges[j[lent]]
    keep[smalls[lent]] = scaled[smalls[lent]]
    i = np.searchsorted(D, E, side="right")
    fell = np.flatnonzero((i < len(smalls)) & (np.arange(len(larges)) + 1 < len(larges)))
    alias[larges[fell]] = larges[fell + 1]
    keep[larges[fell]] = (1.0 - (D[i[fell]] - E[fell])).astype(np.float64)
    t = np.clip(keep, 0.0, 1.0) * _TWO32
    threshold = np.where(t >= 4294967295.0, 4294967295.0, t).astype(np.uint32)
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
