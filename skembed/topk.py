"""Exact maximum-inner-product top-k: blocked BLAS scores + Numba selection.

For L2-normalised vectors inner product is cosine similarity.  Scores of a
block of queries come from one matrix product (numpy BLAS); a parallel Numba
kernel then keeps the k best of each row with a size-k min-heap, so most
scores cost a single comparison.  Nothing here knows scikit-learn.
"""

import numpy as np
from numba import njit, prange

# bytes of the score block of one batch of queries (stays in L2/L3 cache)
_BLOCK_BYTES = 8 * 2**20


@njit(inline="always")
def _sift_down(vals, idx, k):
    i = 0
    while True:
        left = 2 * i + 1
        if left >= k:
            break
        child = left
        if left + 1 < k and vals[left + 1] < vals[left]:
            child = left + 1
        if vals[child] < vals[i]:
            vals[i], vals[child] = vals[child], vals[i]
            idx[i], idx[child] = idx[child], idx[i]
            i = child
        else:
            break


@njit(nogil=True, fastmath=False, cache=True, parallel=True)
def select_top_k(scores, k, excl_indptr, excl_indices, row_offset, out_idx, out_val):
    """Write the ``k`` best columns of each row of ``scores``, best first.

    Parameters
    ----------
    scores : float32 (n_rows, n_cols); excluded entries are overwritten.
    excl_indptr, excl_indices : CSR lists of columns to skip per query row
        (row ``r`` of ``scores`` is query ``row_offset + r``).
    out_idx : int64 (n_queries, k), -1 where fewer than k columns remain.
    out_val : float32 (n_queries, k), -inf where no column.
    """
    n_rows, n_cols = scores.shape
    for r in prange(n_rows):
        q = row_offset + r
        row = scores[r]
        for p in range(excl_indptr[q], excl_indptr[q + 1]):
            row[excl_indices[p]] = -np.inf
        vals = np.full(k, -np.inf, np.float32)
        idx = np.full(k, -1, np.int64)
        for j in range(n_cols):
            v = row[j]
            if v > vals[0]:
                vals[0] = v
                idx[0] = j
                _sift_down(vals, idx, k)
        # heap -> descending order (k is small: insertion sort)
        for a in range(1, k):
            v = vals[a]
            i = idx[a]
            b = a - 1
            while b >= 0 and (vals[b] < v or (vals[b] == v and idx[b] > i)):
                vals[b + 1] = vals[b]
                idx[b + 1] = idx[b]
                b -= 1
            vals[b + 1] = v
            idx[b + 1] = i
        for a in range(k):
            out_idx[q, a] = idx[a]
            out_val[q, a] = vals[a]


def exact_top_k(queries, items, k, exclude=None):
    """Indices and scores of the ``k`` items with largest inner product.

    Parameters
    ----------
    queries : float32 (n_queries, dim)
    items : float32 (n_items, dim)
    k : int, 1 <= k <= n_items
    exclude : tuple (indptr, indices), optional
        CSR lists of item indices never returned for each query.

    Returns
    -------
    indices : int64 (n_queries, k), best first; -1 if fewer than k allowed.
    scores : float32 (n_queries, k)
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    items = np.ascontiguousarray(items, dtype=np.float32)
    n_q, n_items = queries.shape[0], items.shape[0]
    if exclude is None:
        exclude = (np.zeros(n_q + 1, np.int64), np.zeros(0, np.int64))
    indptr = np.asarray(exclude[0], dtype=np.int64)
    indices = np.asarray(exclude[1], dtype=np.int64)
    out_idx = np.empty((n_q, k), np.int64)
    out_val = np.empty((n_q, k), np.float32)
    block = int(max(16, min(4096, _BLOCK_BYTES // (4 * max(n_items, 1)))))
    items_t = items.T
    for start in range(0, n_q, block):
        scores = queries[start:start + block] @ items_t
        select_top_k(scores, k, indptr, indices, start, out_idx, out_val)
    return out_idx, out_val
