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

import threading

import numpy as np
import scipy.sparse as sp

from .._ragged import offsets
from .._threads import in_row_blocks
from .serve_kernels import Extra, Scratch, Sparse, Vectors, serve_block

# histories served at once by a two-stage path (per thread)
SERVE_BLOCK = 256
_EMPTY = np.zeros((0, 0), np.float32)
# the item-vector scorers of a path without them (zero weight)
NO_VECTORS = Vectors(_EMPTY, _EMPTY, np.zeros(0), np.zeros(0), np.float32(0))


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


def sparse_bundle(m, weight, no_rows, scale):
    """A scorer's CSR scores as a :data:`~skembed.recommend.serve_kernels.Sparse`
    (None: an empty one, weight 0; ``no_rows``: zeros, one per row plus one)."""
    if m is None:
        return Sparse(no_rows, np.zeros(0, np.int64), np.zeros(0, np.float32),
                      np.float32(0), np.bool_(scale))
    return Sparse(np.asarray(m.indptr, np.int64), np.asarray(m.indices, np.int64),
                  np.asarray(m.data, np.float32), np.float32(weight), np.bool_(scale))


_HELD = threading.local()  # per thread: the item-sized scratch of serve_block


def serve_scratch(n_items, size):
    """This thread's :data:`~skembed.recommend.serve_kernels.Scratch` (the
    kernel leaves its item arrays clean, so they are kept between blocks of
    the same catalogue size; the candidate buffers grow to the largest block
    seen, at least doubling)."""
    held = getattr(_HELD, "scratch", None)
    if held is not None and held.acc.shape[0] == n_items and held.cand.shape[0] >= size:
        return held
    acc, mark = np.zeros(n_items, np.float32), np.zeros(n_items, np.uint8)
    if held is not None and held.acc.shape[0] == n_items:
        acc, mark = held.acc, held.mark
    if held is not None and held.cand.shape[0] >= size:
        cand, raw = held.cand, held.raw
    else:
        width = max(size, 1024 if held is None else 2 * held.cand.shape[0])
        cand, raw = np.empty(width, np.int64), np.empty(width, np.float32)
    held = Scratch(acc, mark, cand, raw)
    _HELD.scratch = held
    return held


def popular_and_seen(data, q0, q1, exclude, allowed, n_first):
    """The candidates every history of ``q0 .. q1`` shares (the first
    ``n_first`` allowed items, plus as many as the longest history could
    exclude) and each history's excluded items as CSR ``(indptr, items)``
    (empty rows when ``exclude`` is off): the pieces of an
    :data:`~skembed.recommend.serve_kernels.Extra` both serving paths build."""
    rows = q1 - q0
    longest = int(data.lengths[q0:q1].max()) if exclude and rows else 0
    popular = np.ascontiguousarray(allowed[:n_first + longest], np.int64)
    if not exclude:
        return popular, np.zeros(rows + 1, np.int64), np.zeros(0, np.int64)
    part = data.rows(q0, q1)
    return popular, offsets(part.lengths), part.ids.astype(np.int64)


def serve_sparse(data, k, exclude, mask, n_threads, n_items, scores=None, popularity=None):
    """Top ``k`` of every history of ``data`` by one sparse scorer
    (``scores(q0, q1)``: CSR raw scores of histories ``q0 .. q1``) or a
    popularity vector, without a dense row per history: the candidates of a
    history are its scored items and the first allowed items of the
    catalogue (most popular first), enough to fill its list once its own
    items are excluded.  The same lists and scores as ranking every item
    (an item without a score scores 0 and ties go to the lower index)."""
    n_rows = data.n_rows
    idx = np.full((n_rows, k), -1, np.int64)
    val = np.full((n_rows, k), np.nan, np.float32)
    allowed = np.arange(n_items) if mask is None else np.flatnonzero(mask)
    pop = np.zeros(n_items, np.float32) if popularity is None else \
        np.ascontiguousarray(popularity, np.float32)
    pop_weight = np.float32(0 if popularity is None else 1)
    no_mask = np.zeros(0, np.bool_) if mask is None else mask

    def block(r0, r1):
        for q0 in range(r0, r1, SERVE_BLOCK):
            q1 = min(q0 + SERVE_BLOCK, r1)
            rows = q1 - q0
            no_rows = np.zeros(rows + 1, np.int64)
            m = scores(q0, q1) if scores is not None else None
            one = sparse_bundle(m, 1.0, no_rows, scale=False)
            off = sparse_bundle(None, 0.0, no_rows, scale=False)
            popular, seen_indptr, seen = popular_and_seen(data, q0, q1, exclude, allowed, k)
            extra = Extra(no_rows, np.zeros(0, np.int64), np.zeros((0, 0), np.int64),
                          popular, seen_indptr, seen, no_mask, pop, pop_weight)
            size = int((np.diff(one.indptr) + len(popular)).max()) if rows else 0
            serve_block(rows, n_items, (one, off, off), (NO_VECTORS, NO_VECTORS), extra,
                        serve_scratch(n_items, size), k, idx[q0:q1], val[q0:q1])

    in_row_blocks(n_rows, block, n_threads)
    return idx, val
