"""Two-stage serving of the blend (numpy and scipy.sparse; the candidates' item-vector
products in one small compiled kernel of :mod:`.kernels`).

Stage one gathers each history's candidates: the items the sparse scorers
(rules, session-kNN, the repeat signal) give a score, plus the most popular
items that can still be recommended.  Stage two blends the scorers over the
candidates only: sparse scores scaled to [0, 1] per row (exactly as the
dense blend scales them), popularity per item, and the item-vector scores
(profile times item vector) computed for the candidates alone and scaled
by their minimum and maximum over the candidates.  The last is the one
approximation: the dense blend scales them over the whole catalogue.
"""

import numpy as np
import scipy.sparse as sp

from .._ragged import offsets
from .kernels import entry_dots


def scale_rows(m, n_cols):
    """Each stored row of the CSR ``m`` min-max scaled to [0, 1] in place
    (entries not stored are 0, so a row not fully stored scales from 0: the
    same numbers as :func:`~skembed.recommend.kernels.add_sparse_scores`)."""
    indptr = m.indptr
    n_nz = np.diff(indptr)
    filled = np.flatnonzero(n_nz)
    if not len(filled):
        return m
    hi = np.maximum.reduceat(m.data, indptr[filled]).astype(np.float64)
    lo = np.minimum.reduceat(m.data, indptr[filled]).astype(np.float64)
    lo[n_nz[filled] < n_cols] = 0.0
    spread = hi - lo
    scale = np.zeros(len(filled))
    np.divide(1.0, spread, out=scale, where=spread > 0)
    rows = np.repeat(np.arange(len(filled)), n_nz[filled])
    m.data = ((m.data - lo[rows]) * scale[rows]).astype(np.float32)
    return m


def popular_candidates(n_rows, items, n_cols):
    """CSR ``(n_rows, n_cols)`` holding the columns ``items`` (ascending) in
    every row, value 0."""
    items = np.asarray(items, np.int32)
    indptr = np.arange(n_rows + 1, dtype=np.int64) * len(items)
    return sp.csr_matrix((np.zeros(n_rows * len(items), np.float32), np.tile(items, n_rows),
                          indptr), shape=(n_rows, n_cols))


def sample_items(n_items, size=256):
    """Evenly spread catalogue rows (every popularity rank band) whose
    scores widen the candidates' range towards the whole catalogue's."""
    return np.unique(np.linspace(0, n_items - 1, min(size, n_items)).astype(np.int64))


def add_vector_scores(values, rows, cols, indptr, queries, table, weight, sampled):
    """``values += weight * scaled(queries[rows] . table[cols])``, scaled to
    [0, 1] per row by the minimum and maximum over the row's entries (CSR
    ``indptr``) and over ``sampled`` (the table's rows of
    :func:`sample_items`: an estimate of the whole catalogue's range)."""
    raw = np.empty(len(rows), np.float32)
    entry_dots(np.asarray(indptr, np.int64), np.asarray(cols, np.int64),
               np.ascontiguousarray(queries, np.float32), table, raw)
    n_nz = np.diff(indptr)
    filled = np.flatnonzero(n_nz)
    if not len(filled):
        return
    around = queries[filled] @ sampled.T
    lo = np.minimum(np.minimum.reduceat(raw, indptr[filled]), around.min(axis=1)).astype(
        np.float64)
    hi = np.maximum(np.maximum.reduceat(raw, indptr[filled]), around.max(axis=1)).astype(
        np.float64)
    spread = hi - lo
    scale = np.zeros(len(filled))
    np.divide(weight, spread, out=scale, where=spread > 0)
    at = np.repeat(np.arange(len(filled)), n_nz[filled])
    values += (raw - lo[at]) * scale[at]


def top_k_entries(indptr, cols, values, k):
    """The ``k`` largest ``values`` (>= 0; ``-inf`` never returned) of each
    CSR row, best first, ties to the lower column: ``(idx, val)`` of shape
    ``(n_rows, k)``, -1 / NaN padding.  One int64 key per entry (the
    float32 bits of the value, then the column reversed) makes the order
    total, so ``argpartition`` picks the same items as a stable sort."""
    n_rows = len(indptr) - 1
    idx = np.full((n_rows, k), -1, np.int64)
    val = np.full((n_rows, k), np.nan, np.float32)
    n_nz = np.diff(indptr)
    width = int(n_nz.max()) if n_rows else 0
    if width == 0:
        return idx, val
    keep = np.isfinite(values)
    v32 = np.maximum(values, 0.0).astype(np.float32)
    keys = (v32.view(np.int32).astype(np.int64) << 31) | (
        np.int64(2**31 - 1) - cols.astype(np.int64))
    keys[~keep] = -1
    grid = np.full((n_rows, max(width, k)), -1, np.int64)
    row = np.repeat(np.arange(n_rows), n_nz)
    grid[row, np.arange(len(cols)) - indptr[:-1][row]] = keys
    if grid.shape[1] > k:
        top = np.argpartition(-grid, k - 1, axis=1)[:, :k]
        grid = np.take_along_axis(grid, top, axis=1)
    grid = -np.sort(-grid, axis=1)[:, :k]
    found = grid >= 0
    idx[found] = np.int64(2**31 - 1) - (grid[found] & np.int64(2**31 - 1))
    val[found] = (grid[found] >> 31).astype(np.int32).view(np.float32)
    return idx, val


def drop_entries(m, keep):
    """CSR ``m`` with only the stored entries where ``keep`` holds."""
    row = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    n_nz = np.bincount(row[keep], minlength=m.shape[0])
    return sp.csr_matrix((m.data[keep], m.indices[keep], offsets(n_nz)), shape=m.shape)
