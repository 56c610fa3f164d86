"""Scoring kernels of the recommenders: rule pairs, rule and repeat scores
(numpy and scipy.sparse products), distinct items, score normalisation and
top-k selection (:mod:`skembed.topk`'s Numba tile merge).  Session-kNN's
neighbour search is in :mod:`~skembed.recommend.knn_kernels`.

Histories are a :class:`~skembed._ragged.Ragged` of catalogue indices
(negative: unknown item, skipped); score blocks are dense float32
``(n_rows, n_items)`` arrays that the kernels add into.  Nothing here knows
scikit-learn.
"""

import numpy as np
import scipy.sparse as sp

from .._ragged import offsets
from .._threads import in_row_blocks
from ..topk import merge_tile

# an int64 constant for calls of compiled code: a literal argument
# (``f(a, 0)``) makes Numba compile one more specialisation of ``f``
_ZERO = np.int64(0)

# rule weight of a pair ``gap`` positions apart (see SequentialRulesRecommender)
WEIGHTING = {"inverse": 0, "linear": 1, "constant": 2}


def transition_pairs(data, window, weighting):
    """Every pair (earlier item, later item) at most ``window`` positions apart
    within a sequence of ``data`` (a Ragged), with its weight by gap
    (``weighting``: a code of :data:`WEIGHTING`).

    Returns ``rows`` (earlier), ``cols`` (later) and ``vals``, ordered by the
    earlier position, then by gap.  (numpy, one pass per gap: nothing to
    compile.)
    """
    ids, starts = data.ids, data.starts
    position = np.arange(len(ids), dtype=np.int64)
    seq_end = np.repeat(starts[1:], np.diff(starts))  # end of each position's sequence
    n_after = np.minimum(seq_end - position - 1, window)  # pairs starting at each position
    slot = np.cumsum(n_after) - n_after  # where they go
    n_pairs = int(n_after.sum()) if len(ids) else 0
    rows = np.empty(n_pairs, np.int32)
    cols = np.empty(n_pairs, np.int32)
    vals = np.empty(n_pairs, np.float32)
    first = position
    for gap in range(1, window + 1):
        first = first[n_after[first] >= gap]  # shrinks: O(pairs) in all
        if not len(first):
            break
        if weighting == 0:
            w = 1.0 / gap
        elif weighting == 1:
            w = 1.0 - (gap - 1) / window
        else:
            w = 1.0
        at = slot[first] + (gap - 1)
        rows[at] = ids[first]
        cols[at] = ids[first + gap]
        vals[at] = w
    return rows, cols, vals


# Scores of a block of histories (``out``: dense float32 rows, zeroed for raw
# scores).  Rules, the repeat signal and session-kNN's final step are sparse
# products (scipy: nothing to compile, the same linear accumulation a kernel
# would do, in the same order, so the same floats).

# rule entries a block must add before it is worth splitting over threads
# (measured: 43-row blocks of a 95,647-item catalogue; light blocks ran
# 35 % slower split, heavy ones 2.2x faster)
_SPLIT_WORK = 200_000

_F32_MAX = float(np.finfo(np.float32).max)


def recent_items(data, q0, n_rows, max_history, half_life):
    """The last ``max_history`` known items of histories ``q0 .. q0 + n_rows``
    of ``data``, most recent first, with their recency weights (``0.5 **
    (age / half_life)``, ``half_life <= 0``: 1), as CSR ``(indptr, items,
    weights)`` (numpy)."""
    ids, starts = data.ids, data.starts
    a, b = starts[q0], starts[q0 + n_rows]
    block = ids[a:b]
    lengths = np.diff(starts[q0:q0 + n_rows + 1])
    row = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    known = block >= 0
    n_known = np.cumsum(known)
    last = np.concatenate(([0], n_known))[np.cumsum(lengths)]  # known up to row end
    age = last[row] - n_known  # known items after each position
    keep = np.flatnonzero(known & (age < max_history))
    keep = keep[::-1][np.argsort(row[keep[::-1]], kind="stable")]  # newest first per row
    age = age[keep]
    if half_life > 0:
        weights = (0.5 ** (age / half_life)).astype(np.float32)
    else:
        weights = np.ones(len(keep), np.float32)
    indptr = offsets(np.bincount(row[keep], minlength=n_rows))
    return indptr, block[keep].astype(np.int64), weights


def add_sparse_scores(scores, out, weight, scaled):
    """Add the CSR rows ``scores`` (non-negative, one per row of ``out``, no
    repeated column in a row) into ``out``: raw, or ``weight`` times each row
    min-max scaled (entries not stored are 0; a fully stored row scales from
    its own minimum) (numpy)."""
    indptr, cols, vals = scores.indptr, scores.indices, scores.data
    n_nz = np.diff(indptr)
    rows = np.repeat(np.arange(out.shape[0]), n_nz)
    if not scaled:
        out[rows, cols] += vals
        return
    filled = np.flatnonzero(n_nz)
    if not len(filled):
        return
    lo = np.minimum.reduceat(vals, indptr[filled]).astype(np.float64)
    hi = np.maximum.reduceat(vals, indptr[filled])
    lo[(n_nz[filled] < out.shape[1]) & (lo > 0.0)] = 0.0  # entries not stored are 0
    spread = hi - lo
    scale64 = np.zeros(len(filled))
    np.divide(np.float64(weight), spread, out=scale64, where=spread > 0)
    # row by row: every entry stored (tiny catalogues), or a spread so small
    # (subnormal) that weight / spread overflows float32
    slow = (lo != 0.0) | (scale64 > _F32_MAX)
    scale = np.zeros(out.shape[0], np.float32)
    scale[filled[~slow]] = scale64[~slow].astype(np.float32)
    on = np.ones(out.shape[0], bool)
    on[filled[slow]] = False
    on = on[rows]
    out[rows[on], cols[on]] += scale[rows[on]] * vals[on]
    for i in np.flatnonzero(slow):
        r = filled[i]
        row = np.zeros(out.shape[1], np.float32)
        row[cols[indptr[r]:indptr[r + 1]]] = vals[indptr[r]:indptr[r + 1]]
        out[r] = (out[r] + _scaled_row(row, lo[i], spread[i], scale64[i], weight)).astype(
            np.float32)


def _scaled_row(row, low, spread, scale, weight):
    """``weight * (row - low) / spread`` for one row (float64), dividing first
    where ``scale = weight / spread`` is beyond float32."""
    if scale > _F32_MAX:
        return _divided(row, low, spread, weight)
    return np.float32(scale) * (row - low)


def _divided(rows, lo, spread, weight):
    """``weight * (rows - lo) / spread`` dividing first (float64): for a
    spread so small (subnormal) that ``weight / spread`` overflows float32."""
    return weight * ((rows - lo) / spread)


def rule_scores(data, q0, n_rows, max_history, half_life, rules, n_threads):
    """Sequential-rule scores of histories ``q0 .. q0 + n_rows`` of ``data``
    as a CSR matrix (rows x items; see :func:`add_rule_scores`); heavy
    blocks split over ``n_threads``."""
    indptr, items, weights = recent_items(data, q0, n_rows, max_history, half_life)
    query = sp.csr_matrix((weights, items, indptr), shape=(n_rows, rules.shape[0]))
    if n_threads < 2 or n_rows < 2 or int(
            np.sum(rules.indptr[items + 1] - rules.indptr[items])) < _SPLIT_WORK:
        return query @ rules
    parts = {}

    def block(r0, r1):
        parts[r0] = query[r0:r1] @ rules

    in_row_blocks(n_rows, block, n_threads)
    return sp.vstack([parts[r] for r in sorted(parts)], format="csr")


def history_scores(data, q0, n_rows, max_history, half_life, n_items):
    """The repeat signal as CSR (see :func:`add_history_scores`)."""
    indptr, items, weights = recent_items(data, q0, n_rows, max_history, half_life)
    history = sp.csr_matrix((weights, items, indptr), shape=(n_rows, n_items))
    history.sum_duplicates()
    return history


def add_rule_scores(data, q0, max_history, half_life, rules, out, weight, scaled, n_threads):
    """Sequential-rule scores of histories ``q0 .. q0 + len(out)`` of ``data``:
    ``sum_h w_h * rules[h]`` over the last ``max_history`` known items ``h``
    (``w_h`` halves every ``half_life`` items back; ``half_life <= 0``:
    equal weights), a sparse product (scipy).  ``scaled``: add ``weight``
    times the min-max scaled row into ``out``; otherwise add the raw scores
    into ``out`` (zeroed rows).  Blocks with many rule entries to add are
    split over ``n_threads`` (the product releases the GIL); for light ones
    a thread costs more than it saves."""
    n_rows = out.shape[0]
    indptr, items, weights = recent_items(data, q0, n_rows, max_history, half_life)
    query = sp.csr_matrix((weights, items, indptr), shape=(n_rows, rules.shape[0]))
    if n_threads < 2 or int(
            np.sum(rules.indptr[items + 1] - rules.indptr[items])) < _SPLIT_WORK:
        add_sparse_scores(query @ rules, out, weight, scaled)
        return
    in_row_blocks(n_rows, lambda r0, r1: add_sparse_scores(
        query[r0:r1] @ rules, out[r0:r1], weight, scaled), n_threads)


def add_history_scores(data, q0, max_history, half_life, out, weight, scaled):
    """The repeat signal: each of the last ``max_history`` known items of a
    history scores its recency weight (summed over repeats); ``scaled`` as
    in :func:`add_rule_scores` (a few entries per row: never worth a
    thread)."""
    indptr, items, weights = recent_items(data, q0, out.shape[0], max_history, half_life)
    history = sp.csr_matrix((weights, items, indptr), shape=out.shape)
    history.sum_duplicates()
    add_sparse_scores(history, out, weight, scaled)


def distinct_items(data, n_items):
    """The distinct known items of each sequence of ``data``: a CSR
    ``(n_sequences, n_items)`` matrix of ones, items ascending in each row
    (scipy)."""
    items = data.known().to_csr(n_items)
    items.sum_duplicates()  # (sorts and merges in place: its own copy of the ids)
    items.data[:] = 1.0
    return items


def last_positions(data, n_items):
    """Where each distinct known item of each sequence last occurs (its
    position among the sequence's known items, from 0): a CSR aligned
    entry by entry with :func:`distinct_items` (float32 values)."""
    import scipy.sparse as sp

    known = data.known()
    lengths = np.diff(known.starts)
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    pos = np.arange(len(known.ids), dtype=np.int64) - np.repeat(known.starts[:-1], lengths)
    key = rows * n_items + known.ids
    order = np.argsort(key, kind="stable")  # within a key, positions ascend
    key = key[order]
    last = np.ones(len(key), bool)
    last[:-1] = key[1:] != key[:-1]
    order = order[last]
    counts = np.bincount(rows[order], minlength=len(lengths))
    return sp.csr_matrix((pos[order].astype(np.float32), known.ids[order].astype(np.int64),
                          np.concatenate(([0], np.cumsum(counts)))),
                         shape=(len(lengths), n_items))


def repeat_share(data, n_items):
    """Share of the interactions after the first of each sequence that repeat
    an item seen earlier in the same sequence (from the distinct items per
    sequence)."""
    distinct = distinct_items(data, n_items)
    n_known = int(np.count_nonzero(data.ids >= 0))
    total = n_known - int(np.count_nonzero(np.diff(distinct.indptr)))
    return (n_known - distinct.nnz) / total if total else 0.0


def _minmax(rows, weight):
    """Per-row minimum, spread (float64) and ``weight / spread`` (0 for a
    constant row, and for the ``tiny`` rows whose spread is so small,
    subnormal, that it overflows float32: :func:`_divided` scales those)."""
    lo = rows.min(axis=1, keepdims=True)
    spread = (rows.max(axis=1, keepdims=True) - lo).astype(np.float64)
    scale = np.zeros_like(spread)
    np.divide(np.float64(weight), spread, out=scale, where=spread > 0)
    tiny = np.flatnonzero(scale[:, 0] > _F32_MAX)
    scale[tiny] = 0.0
    return lo, spread, scale.astype(np.float32), tiny


def _add_minmax_scaled(out, scores, weight):
    lo, spread, scale, tiny = _minmax(scores, weight)
    scaled = scores - lo
    scaled *= scale
    out += scaled
    out[tiny] += _divided(scores[tiny], lo[tiny], spread[tiny], weight).astype(np.float32)


def add_minmax_scaled(out, scores, weight, n_threads=1):
    """``out[r] += weight * (scores[r] - min) / (max - min)`` per row (a
    constant row adds nothing), so components on different scales blend
    (numpy: as fast as a kernel here, and nothing to compile)."""
    in_row_blocks(scores.shape[0], lambda r0, r1: _add_minmax_scaled(
        out[r0:r1], scores[r0:r1], weight), n_threads)


def _scale_rows(rows):
    lo, spread, scale, tiny = _minmax(rows, 1.0)
    originals = rows[tiny]  # (a copy)
    rows -= lo
    rows *= scale
    rows[tiny] = _divided(originals, lo[tiny], spread[tiny], 1.0)


def minmax_scale_rows(scores, n_threads=1):
    """Scale every row of ``scores`` to [0, 1] in place (constant rows -> 0)."""
    in_row_blocks(scores.shape[0], lambda r0, r1: _scale_rows(scores[r0:r1]), n_threads)


def top_k_rows(scores, k, excl_indptr, excl_indices, n_threads=1):
    """Indices and values of the ``k`` largest entries of each row, best first
    (ties: lower index first); excluded entries (CSR per row) and ``-inf``
    are never returned (index -1 pads).  Rows are split over ``n_threads``."""
    n_rows = scores.shape[0]
    heap_val = np.full((n_rows, k), -np.inf, np.float32)
    heap_idx = np.full((n_rows, k), -1, np.int64)
    in_row_blocks(n_rows, lambda a, b: merge_tile(
        scores[a:b], np.int64(b - a), np.int64(scores.shape[1]), np.int64(a), _ZERO,
        excl_indptr, excl_indices, heap_val, heap_idx, True), n_threads)
    return heap_idx, heap_val
