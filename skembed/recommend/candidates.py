"""Helpers of the two-stage serving of the blend (numpy and scipy.sparse).

Stage one gathers each history's candidates: the items the sparse scorers
(rules, session-kNN, the repeat signal) give a score, plus the most popular
items that can still be recommended and the nearest items of its last items.
Stage two blends the scorers over the candidates only: sparse scores scaled
to [0, 1] per row (exactly as the dense blend scales them), popularity per
item, and the item-vector scores (profile times item vector) computed for
the candidates alone and scaled by their minimum and maximum over the
candidates and a sample of the catalogue (:func:`sample_items`).  The last
is the one approximation: the dense blend scales them over the whole
catalogue.  Both stages run in
:func:`~skembed.recommend.serve_kernels.serve_block`; the top-k and entry
helpers here serve session-kNN's validation.
"""

import numpy as np
import scipy.sparse as sp

from .._ragged import offsets


def sample_items(n_items, size=256):
    """Evenly spread catalogue rows (every popularity rank band) whose
    scores widen the candidates' range towards the whole catalogue's."""
    return np.unique(np.linspace(0, n_items - 1, min(size, n_items)).astype(np.int64))


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
