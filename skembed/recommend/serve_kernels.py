"""The two-stage blend's second stage in one compiled pass per block of histories.

Per history: the union of its candidates (the entries of the sparse scorers,
the nearest items of its last items, the most popular allowed items), less
the excluded ones (its own items, a mask); each candidate's blend score (the
sparse scores min-max scaled per row over their stored entries, from 0 when a
row does not store every item, as the dense blend scales them; popularity; the
item-vector scores computed for the candidates and scaled by their range
and that of a sample of the catalogue); then the top k.  numpy did the same
in a dozen passes of sparse-matrix building, summing and sorting per
block, which cost as much as the scoring itself.

Bundles (namedtuples of arrays):

- ``Sparse(indptr, indices, data, weight, scale)``: one sparse scorer's raw
  scores (CSR, rows x items), min-max scaled per row when ``scale`` (the
  blend), added as they are otherwise (a single scorer); a zero weight
  leaves it out;
- ``Vectors(queries, table, low, high, weight)``: an item-vector scorer: the
  rows' query vectors, the item table, and per row the lowest and highest
  score over the catalogue sample (``low``, ``high``, float64);
- ``Extra(near_indptr, near_items, neighbours, popular, seen_indptr,
  seen_items, mask, popularity, pop_weight)``: the rows' last items (CSR)
  whose ``neighbours`` rows (-1 padded) are candidates, the ``popular``
  candidates of every row, each row's excluded items (CSR; empty rows when
  nothing is excluded), the allowed items (``mask``, empty: all) and the
  scaled popularity with its weight;
- ``Scratch(acc, mark, cand, raw)``: per item an accumulator (float32,
  zeros) and a mark (uint8, zeros), left clean; per candidate of a row its
  item (int64) and a float32 buffer.

Plain arrays in, plain arrays out; no scikit-learn here.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from .._variants import inner

__all__ = ["Extra", "Scratch", "Sparse", "Vectors", "serve_block"]

Sparse = namedtuple("Sparse", "indptr indices data weight scale")
Vectors = namedtuple("Vectors", "queries table low high weight")
Extra = namedtuple("Extra", "near_indptr near_items neighbours popular seen_indptr "
                   "seen_items mask popularity pop_weight")
Scratch = namedtuple("Scratch", "acc mark cand raw")

_CANDIDATE, _EXCLUDED = 1, 2
# an int64 constant for calls of compiled helpers: a literal argument makes
# Numba compile one more specialisation
_ZERO = np.int64(0)


@inner(inline="always")
def _add_candidate(item, mark, cand, n_c):
    if mark[item] == 0:
        mark[item] = _CANDIDATE
        cand[n_c] = item
        n_c += 1
    return n_c


@inner(inline="always")
def _add_scaled(sp, r, n_items, scr, n_c):
    """Row ``r`` of the sparse scorer ``sp``, min-max scaled over its stored
    entries (from 0 when the row does not store every item), times its
    weight, into the accumulator; its items become candidates."""
    lo_e, hi_e = sp.indptr[r], sp.indptr[r + 1]
    if hi_e <= lo_e:
        return n_c
    lo = np.float64(sp.data[lo_e])
    hi = lo
    for e in range(lo_e + 1, hi_e):
        v = np.float64(sp.data[e])
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    if hi_e - lo_e < n_items:
        lo = 0.0
    spread = hi - lo
    scale = 1.0 / spread if spread > 0 else 0.0
    for e in range(lo_e, hi_e):
        item = sp.indices[e]
        scr.acc[item] += np.float32((np.float64(sp.data[e]) - lo) * scale) * sp.weight
        n_c = _add_candidate(item, scr.mark, scr.cand, n_c)
    return n_c


@inner(fastmath=True)
def _dots(queries, r, table, cand, n_c, raw):
    """``raw[c] = queries[r] . table[cand[c]]`` in float32 (``fastmath``: a
    vectorised sum; in strict order a 64-dim product takes several times as
    long)."""
    for c in range(n_c):
        item = cand[c]
        acc = np.float32(0.0)
        for k in range(queries.shape[1]):
            acc += queries[r, k] * table[item, k]
        raw[c] = acc


@inner(inline="always")
def _add_raw(sp, r, scr, n_c):
    """Row ``r`` of the sparse scorer ``sp`` times its weight, unscaled, into
    the accumulator; its items become candidates."""
    for e in range(sp.indptr[r], sp.indptr[r + 1]):
        item = sp.indices[e]
        scr.acc[item] += sp.data[e] * sp.weight
        n_c = _add_candidate(item, scr.mark, scr.cand, n_c)
    return n_c


@inner()
def _vector_scores(vec, r, cand, n_c, raw, values):
    """``values += weight * scaled(query . item)`` over the candidates, scaled
    by the lowest and highest of the candidates' and the sample's scores."""
    _dots(vec.queries, r, vec.table, cand, n_c, raw)
    lo = vec.low[r]
    hi = vec.high[r]
    for c in range(n_c):
        if raw[c] < lo:
            lo = np.float64(raw[c])
        if raw[c] > hi:
            hi = np.float64(raw[c])
    spread = hi - lo
    scale = np.float64(vec.weight) / spread if spread > 0 else 0.0
    for c in range(n_c):
        values[c] += (np.float64(raw[c]) - lo) * scale


@inner(inline="always")
def _before(key_a, item_a, key_b, item_b):
    """Candidate a ranks before b: higher key, or equal and lower item."""
    return key_a > key_b or (key_a == key_b and item_a < item_b)


@inner()
def _sift(keys, items, i, n):
    """Restore the heap (its root the worst kept candidate) below ``i``."""
    while True:
        child = 2 * i + 1
        if child >= n:
            return
        if child + 1 < n and _before(keys[child], items[child], keys[child + 1],
                                     items[child + 1]):
            child += 1
        if not _before(keys[i], items[i], keys[child], items[child]):
            return
        keys[i], keys[child] = keys[child], keys[i]
        items[i], items[child] = items[child], items[i]
        i = child


@njit(nogil=True, cache=True, error_model="numpy")
def serve_block(n_rows, n_items, sparse, vectors, extra, scr, k, idx, val):
    """Top ``k`` of ``n_rows`` histories into ``idx`` (-1 padded) and ``val``
    (float32, NaN padded), best first, ties to the lower item; ``sparse``
    and ``vectors`` are tuples of :data:`Sparse` and :data:`Vectors`.
    Values are ranked as float32, as the numpy path did."""
    cand, mark, acc = scr.cand, scr.mark, scr.acc
    values = np.empty(cand.shape[0], np.float64)
    heap_keys = np.empty(k, np.float32)
    heap_items = np.empty(k, np.int64)
    for r in range(n_rows):
        n_c = 0
        for sp in sparse:
            if sp.weight != 0:
                if sp.scale:
                    n_c = _add_scaled(sp, r, n_items, scr, n_c)
                else:
                    n_c = _add_raw(sp, r, scr, n_c)
        for q in range(extra.near_indptr[r], extra.near_indptr[r + 1]):
            row = extra.near_items[q]
            for c in range(extra.neighbours.shape[1]):
                item = extra.neighbours[row, c]
                if item >= 0:
                    n_c = _add_candidate(item, mark, cand, n_c)
        for c in range(extra.popular.shape[0]):
            n_c = _add_candidate(extra.popular[c], mark, cand, n_c)
        # drop the excluded candidates (the history's items, the mask)
        for q in range(extra.seen_indptr[r], extra.seen_indptr[r + 1]):
            item = extra.seen_items[q]
            if item >= 0 and mark[item] == _CANDIDATE:
                mark[item] = _EXCLUDED
        kept = 0
        for c in range(n_c):
            item = cand[c]
            if mark[item] == _EXCLUDED or (extra.mask.shape[0] > 0 and not extra.mask[item]):
                mark[item] = 0
                acc[item] = 0.0
                continue
            mark[item] = 0
            values[kept] = np.float64(acc[item]) + np.float64(
                extra.pop_weight * extra.popularity[item])
            acc[item] = 0.0
            cand[kept] = item
            kept += 1
        n_c = kept
        for vec in vectors:
            if vec.weight != 0:
                _vector_scores(vec, r, cand, n_c, scr.raw, values)
        # top k: a heap whose root is the worst kept candidate
        m = 0
        for c in range(n_c):
            v = values[c]
            if not np.isfinite(v):
                continue
            key = np.float32(v if v > 0 else 0.0)
            item = cand[c]
            if m < k:
                heap_keys[m] = key
                heap_items[m] = item
                m += 1
                if m == k:
                    for s in range(k // 2 - 1, -1, -1):
                        _sift(heap_keys, heap_items, s, k)
            elif _before(key, item, heap_keys[0], heap_items[0]):
                heap_keys[0] = key
                heap_items[0] = item
                _sift(heap_keys, heap_items, _ZERO, k)
        if m < k:
            for s in range(m // 2 - 1, -1, -1):
                _sift(heap_keys, heap_items, s, m)
        for end in range(m - 1, -1, -1):  # pop the worst to the back
            idx[r, end] = heap_items[0]
            val[r, end] = heap_keys[0]
            heap_keys[0] = heap_keys[end]
            heap_items[0] = heap_items[end]
            _sift(heap_keys, heap_items, _ZERO, end)
        for c in range(m, k):
            idx[r, c] = -1
            val[r, c] = np.nan
