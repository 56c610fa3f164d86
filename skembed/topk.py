"""Exact maximum-inner-product top-k: blocked BLAS scores + Numba selection.

For L2-normalised vectors inner product is cosine similarity.  Scores of a
block of queries come from one matrix product (numpy BLAS); a Numba kernel
then keeps the k best of each row with a size-k min-heap, so most scores
cost a single comparison.  Blocks of queries are split over threads.
Nothing here knows scikit-learn.
"""

import numpy as np
from numba import njit

from ._threads import blas_threads, in_row_blocks
from ._variants import inner

# score tiles of (query block x item block) stay in L2 cache between the
# matrix product that writes them and the selection that reads them
_QUERY_BLOCK = 256
_ITEM_BLOCK = 2048
# a group of scores is skipped at once when its max cannot enter the heap
_GROUP = 16


@inner()
def _worse(vals, idx, a, b):
    """Heap entry ``a`` ranks below ``b``: a lower score, or the same score
    and a higher index (so the root, the entry evicted first, is the worst
    by both and ties keep the lower indices)."""
    return vals[a] < vals[b] or (vals[a] == vals[b] and idx[a] > idx[b])


@inner()
def _sift_down(vals, idx, k):
    i = 0
    while True:
        left = 2 * i + 1
        if left >= k:
            break
        child = left
        if left + 1 < k and _worse(vals, idx, left + 1, left):
            child = left + 1
        if _worse(vals, idx, child, i):
            vals[i], vals[child] = vals[child], vals[i]
            idx[i], idx[child] = idx[child], idx[i]
            i = child
        else:
            break


@njit(nogil=True, cache=True)
def merge_tile(tile, n_rows, n_cols, q0, i0, excl_indptr, excl_indices, heap_val,
                heap_idx, last):
    """Push the scores of a tile into the per-query min-heaps of size k.

    ``tile[r, c]`` is the score of query ``q0 + r`` and item ``i0 + c``;
    excluded items of a query are skipped.  ``heap_val[q, 0]`` is the worst
    of the k kept scores, so most scores cost one comparison, and a group of
    ``_GROUP`` scores whose maximum does not beat it costs one (vectorised)
    max.  ``last``: no tile follows, sort the heaps (best first).
    """
    k = heap_val.shape[1]
    for r in range(n_rows):
        q = q0 + r
        row = tile[r]
        for p in range(excl_indptr[q], excl_indptr[q + 1]):
            c = excl_indices[p] - i0
            if 0 <= c < n_cols:
                row[c] = -np.inf
        vals = heap_val[q]
        idx = heap_idx[q]
        n_full = n_cols - n_cols % _GROUP
        for g in range(0, n_full, _GROUP):
            m = row[g]
            for j in range(g + 1, g + _GROUP):
                if row[j] > m:
                    m = row[j]
            if m <= vals[0]:
                continue
            for j in range(g, g + _GROUP):
                v = row[j]
                if v > vals[0]:
                    vals[0] = v
                    idx[0] = i0 + j
                    _sift_down(vals, idx, k)
        for j in range(n_full, n_cols):
            v = row[j]
            if v > vals[0]:
                vals[0] = v
                idx[0] = i0 + j
                _sift_down(vals, idx, k)
        if last:
            _sort_heap(vals, idx)


@inner()
def _sort_heap(vals, idx):
    """Descending order (ties: lower index first; unfilled slots -1 last)."""
    k = vals.shape[0]
    for a in range(1, k):
        v = vals[a]
        i = idx[a]
        b = a - 1
        while b >= 0 and (vals[b] < v or (vals[b] == v and (idx[b] > i or idx[b] < 0))):
            vals[b + 1] = vals[b]
            idx[b + 1] = idx[b]
            b -= 1
        vals[b + 1] = v
        idx[b + 1] = i


@njit(nogil=True, cache=True)
def _top_k_queries(queries, items, q_begin, q_end, excl_indptr, excl_indices, heap_val,
                   heap_idx):
    """Fill the heaps of queries ``q_begin .. q_end`` (a caller's share).

    Scores of (query block x item block) tiles come from a BLAS matrix
    product into a tile buffer and are merged into the queries' heaps; BLAS
    must be single-threaded while this runs (the caller limits it) so that
    threads do not fight over cores.
    """
    n_items = items.shape[0]
    for q0 in range(q_begin, q_end, _QUERY_BLOCK):
        q1 = min(q0 + _QUERY_BLOCK, q_end)
        qb = queries[q0:q1]
        tile = np.empty((q1 - q0, _ITEM_BLOCK), np.float32)
        for i0 in range(0, n_items, _ITEM_BLOCK):
            i1 = min(i0 + _ITEM_BLOCK, n_items)
            if i1 - i0 == _ITEM_BLOCK:
                np.dot(qb, items[i0:i1].T, tile)
                merge_tile(tile, q1 - q0, i1 - i0, q0, i0, excl_indptr, excl_indices,
                            heap_val, heap_idx, i1 == n_items)
            else:
                rest = np.dot(qb, items[i0:i1].T)
                # i1 == n_items holds here; a literal True would compile one
                # more specialisation of merge_tile
                merge_tile(rest, q1 - q0, i1 - i0, q0, i0, excl_indptr, excl_indices,
                            heap_val, heap_idx, i1 == n_items)


def blocked_top_k(queries, items, k, excl_indptr, excl_indices, n_threads):
    """Top-k inner products; blocks of queries split over threads
    (:func:`skembed._threads.in_row_blocks`)."""
    n_q = queries.shape[0]
    heap_val = np.full((n_q, k), -np.inf, np.float32)
    heap_idx = np.full((n_q, k), -1, np.int64)
    in_row_blocks(n_q, lambda a, b: _top_k_queries(
        queries, items, np.int64(a), np.int64(b), excl_indptr, excl_indices, heap_val,
        heap_idx), n_threads, align=_QUERY_BLOCK)
    return heap_idx, heap_val


def exact_top_k(queries, items, k, exclude=None, n_threads=1):
    """Indices and scores of the ``k`` items with largest inner product.

    Parameters
    ----------
    queries : float32 (n_queries, dim)
    items : float32 (n_items, dim)
    k : int, 1 <= k <= n_items
    exclude : tuple (indptr, indices), optional
        CSR lists of item indices never returned for each query.
    n_threads : int, default=1
        Blocks of queries are split over this many threads (BLAS runs with
        one thread meanwhile).

    Returns
    -------
    indices : int64 (n_queries, k), best first; -1 if fewer than k allowed.
    scores : float32 (n_queries, k)
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    items = np.ascontiguousarray(items, dtype=np.float32)
    if items.flags.writeable:  # one compiled signature, whoever calls: KeyedVectors'
        items = items.view()   # tables are read-only, the recommenders' writable
        items.flags.writeable = False
    n_q = queries.shape[0]
    if exclude is None:
        exclude = (np.zeros(n_q + 1, np.int64), np.zeros(0, np.int64))
    indptr = np.asarray(exclude[0], dtype=np.int64)
    indices = np.asarray(exclude[1], dtype=np.int64)
    with blas_threads(1):
        return blocked_top_k(queries, items, int(k), indptr, indices, n_threads)
