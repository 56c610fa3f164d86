"""Scoring kernels of the recommenders: rule pairs, rule and repeat scores
(numpy and scipy.sparse products), session-kNN, score normalisation and
top-k selection (Numba).

Histories are passed as a flat int32 array of catalogue indices (negative:
unknown item, skipped) plus int64 boundaries ``starts`` (one more than the
number of histories); score blocks are dense float32 ``(n_rows, n_items)``
arrays that the kernels add into.  Nothing here knows scikit-learn.
"""

import threading
from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from .._ragged import Ragged, offsets
from .._threads import in_row_blocks
from .._variants import inner
from ..topk import _merge_tile

# rule weight of a pair ``gap`` positions apart (see SequentialRulesRecommender)
WEIGHTING = {"inverse": 0, "linear": 1, "constant": 2}


def transition_pairs(ids, starts, window, weighting):
    """Every pair (earlier item, later item) at most ``window`` positions apart
    within a sequence, with its weight by gap (``weighting``: a code of
    :data:`WEIGHTING`).

    Returns ``rows`` (earlier), ``cols`` (later) and ``vals``, ordered by the
    earlier position, then by gap.  (numpy, one pass per gap: nothing to
    compile.)
    """
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


# Hand-written selection: numpy's sort and argsort cost seconds of
# compilation on a cold cache; these are a few lines each.

# an int64 constant for calls of compiled helpers: a literal argument
# (``f(a, 0)``) makes Numba compile one more specialisation of ``f``
_ZERO = np.int64(0)


@inner()
def _most_recent_sessions(q_items, n_q, item_indptr, item_sessions, sample_size, self_row,
                          q_ptr, out):
    """The ``sample_size`` most recent (highest) distinct sessions in the last
    ``sample_size`` entries of the posting lists of ``q_items[:n_q]`` (each
    ascending), ``self_row`` left out: merged from the ends of the lists into
    ``out``, ascending.  Returns how many (fewer when the lists hold fewer).
    O(sample_size * n_q), no sort; ``q_ptr`` is scratch of ``n_q`` ints."""
    for a in range(n_q):
        q_ptr[a] = item_indptr[q_items[a] + 1]
    m = 0
    while m < sample_size:
        best = -1
        for a in range(n_q):
            it = q_items[a]
            lo = item_indptr[it + 1] - sample_size
            if lo < item_indptr[it]:
                lo = item_indptr[it]
            p = q_ptr[a]
            if p > lo and item_sessions[p - 1] == self_row:
                p -= 1
                q_ptr[a] = p
            if p > lo and item_sessions[p - 1] > best:
                best = item_sessions[p - 1]
        if best < 0:
            break
        out[m] = best
        m += 1
        for a in range(n_q):
            p = q_ptr[a]
            if p > item_indptr[q_items[a]] and item_sessions[p - 1] == best:
                q_ptr[a] = p - 1
    for c in range(m // 2):  # newest first -> ascending
        out[c], out[m - 1 - c] = out[m - 1 - c], out[c]
    return m


@inner()
def _worse(vals, a, b):
    """Position ``a`` ranks below ``b``: lower value, or equal and later."""
    return vals[a] < vals[b] or (vals[a] == vals[b] and a > b)


@inner()
def _sift_worst(vals, heap, i, n):
    while True:
        child = 2 * i + 1
        if child >= n:
            return
        if child + 1 < n and _worse(vals, heap[child + 1], heap[child]):
            child += 1
        if not _worse(vals, heap[child], heap[i]):
            return
        heap[i], heap[child] = heap[child], heap[i]
        i = child


@inner()
def _best_positions(vals, heap):
    """Positions of the ``len(heap)`` largest ``vals`` into ``heap``, largest
    first, ties in position order (as a stable argsort of ``-vals``, cut at
    ``len(heap)``): a heap whose root is the worst kept position."""
    k = heap.shape[0]
    if k <= 0:
        return
    for c in range(k if k < vals.shape[0] else vals.shape[0]):
        heap[c] = c
    for start in range(k // 2 - 1, -1, -1):
        _sift_worst(vals, heap, start, k)
    for c in range(k, vals.shape[0]):
        if _worse(vals, heap[0], c):
            heap[0] = c
            _sift_worst(vals, heap, _ZERO, k)
    for end in range(k - 1, 0, -1):  # pop the worst to the back
        heap[0], heap[end] = heap[end], heap[0]
        _sift_worst(vals, heap, _ZERO, end)


@inner()
def _session_knn_row(ids, s, e, max_history, linear, sess_norm, item_indptr, item_sessions,
                     k, sample_size, self_row, sess_acc, sess_touched, sess_top, sims, best,
                     q_items, q_weight, q_ptr, q_mark, mark, nb_sess, nb_sim):
    """The ``k`` nearest sessions of history ``ids[s:e]`` into ``nb_sess``,
    their similarities into ``nb_sim``, most similar first; returns how
    many."""
    # query items: the last max_history distinct known items, most recent first
    n_q = 0
    p = e - 1
    while p >= s and n_q < max_history:
        it = ids[p]
        p -= 1
        if it < 0 or q_mark[it] == mark:
            continue
        q_mark[it] = mark
        q_items[n_q] = it
        n_q += 1
    if n_q == 0:
        return 0
    for a in range(n_q):
        # linear position weighting: the most recent item weighs 1
        q_weight[a] = (n_q - a) / n_q if linear else 1.0
    # overlaps with the sessions holding each query item; only the
    # sample_size most recent sessions of a posting list can be among the
    # sample_size most recent of their union
    n_s = 0
    for a in range(n_q):
        it = q_items[a]
        lo = item_indptr[it + 1] - sample_size
        if lo < item_indptr[it]:
            lo = item_indptr[it]
        for t in range(lo, item_indptr[it + 1]):
            sess = item_sessions[t]
            if sess == self_row:
                continue
            if sess_acc[sess] == 0.0:
                sess_touched[n_s] = sess
                n_s += 1
            sess_acc[sess] += q_weight[a]
    cand = sess_touched[:n_s]
    if n_s > sample_size:  # the most recent (highest index), ascending
        m = _most_recent_sessions(q_items, n_q, item_indptr, item_sessions, sample_size,
                                  self_row, q_ptr, sess_top)
        cand = sess_top[:m]
    n_c = cand.shape[0]
    q_norm = np.sqrt(n_q)
    for c in range(n_c):
        sess = cand[c]
        sims[c] = sess_acc[sess] / (sess_norm[sess] * q_norm)
    for c in range(n_s):
        sess_acc[sess_touched[c]] = 0.0
    n_nb = k if k < n_c else n_c
    _best_positions(sims[:n_c], best[:n_nb])
    for c in range(n_nb):
        nb_sess[c] = cand[best[c]]
        nb_sim[c] = sims[best[c]]
    return n_nb


# Scores of a block of histories (``out``: dense float32 rows, zeroed for raw
# scores).  Rules, the repeat signal and session-kNN's final step are sparse
# products (scipy: nothing to compile, the same linear accumulation a kernel
# would do, in the same order, so the same floats); session-kNN's neighbour
# search is a kernel whose rows are split over Python threads
# (:func:`skembed._threads.in_row_blocks`; the kernel releases the GIL).

# rule entries a block must add before it is worth splitting over threads
# (measured: 43-row blocks of a 95,647-item catalogue; light blocks ran
# 35 % slower split, heavy ones 2.2x faster)
_SPLIT_WORK = 200_000

_F32_MAX = float(np.finfo(np.float32).max)


def recent_items(ids, starts, q0, n_rows, max_history, half_life):
    """The last ``max_history`` known items of histories ``q0 .. q0 + n_rows``,
    most recent first, with their recency weights (``0.5 ** (age /
    half_life)``, ``half_life <= 0``: 1), as CSR ``(indptr, items,
    weights)`` (numpy)."""
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


def add_rule_scores(ids, starts, q0, max_history, half_life, rules, out, weight, scaled,
                    n_threads):
    """Sequential-rule scores of histories ``q0 .. q0 + len(out)``:
    ``sum_h w_h * rules[h]`` over the last ``max_history`` known items ``h``
    (``w_h`` halves every ``half_life`` items back; ``half_life <= 0``:
    equal weights), a sparse product (scipy).  ``scaled``: add ``weight``
    times the min-max scaled row into ``out``; otherwise add the raw scores
    into ``out`` (zeroed rows).  Blocks with many rule entries to add are
    split over ``n_threads`` (the product releases the GIL); for light ones
    a thread costs more than it saves."""
    n_rows = out.shape[0]
    indptr, items, weights = recent_items(ids, starts, q0, n_rows, max_history, half_life)
    query = sp.csr_matrix((weights, items, indptr), shape=(n_rows, rules.shape[0]))
    if n_threads < 2 or int(
            np.sum(rules.indptr[items + 1] - rules.indptr[items])) < _SPLIT_WORK:
        add_sparse_scores(query @ rules, out, weight, scaled)
        return
    in_row_blocks(n_rows, lambda r0, r1: add_sparse_scores(
        query[r0:r1] @ rules, out[r0:r1], weight, scaled), n_threads)


def add_history_scores(ids, starts, q0, max_history, half_life, out, weight, scaled):
    """The repeat signal: each of the last ``max_history`` known items of a
    history scores its recency weight (summed over repeats); ``scaled`` as
    in :func:`add_rule_scores` (a few entries per row: never worth a
    thread)."""
    indptr, items, weights = recent_items(ids, starts, q0, out.shape[0], max_history,
                                          half_life)
    history = sp.csr_matrix((weights, items, indptr), shape=out.shape)
    history.sum_duplicates()
    add_sparse_scores(history, out, weight, scaled)


@njit(nogil=True, cache=True, error_model="numpy")
def _session_knn_neighbours(ids, starts, q0, max_history, linear, sess_norm, item_indptr,
                            item_sessions, k, sample_size, self_rows, scr, nb_sess, nb_sim,
                            nb_count):
    for r in range(nb_sess.shape[0]):
        nb_count[r] = _session_knn_row(
            ids, starts[q0 + r], starts[q0 + r + 1], max_history, linear, sess_norm,
            item_indptr, item_sessions, k, sample_size, self_rows[r], scr.acc,
            scr.touched, scr.top, scr.sims, scr.best, scr.q_items, scr.q_weight, scr.q_ptr,
            scr.q_mark, q0 + r, nb_sess[r], nb_sim[r])


# Session-kNN's scratch, allocated by numpy (nothing to compile) and kept
# per thread (``thread_scratch``): ``acc`` one zero per training sequence (the
# rows leave it zero), ``q_mark`` -1 per item (a row marks its query items
# with its own index)
KnnScratch = namedtuple("KnnScratch", ["acc", "touched", "top", "sims", "best", "q_items",
                                       "q_weight", "q_ptr", "q_mark"])


def _padded(n, dtype, fill=None):
    # 128 bytes on both sides: another thread's arrays never share a cache line
    a = np.empty(n + 32, dtype)[16:16 + n]
    if fill is not None:
        a[:] = fill
    return a


def knn_scratch(n_sequences, n_items, max_history, sample_size):
    """Fresh scratch for session-kNN's neighbour kernel."""
    return KnnScratch(np.zeros(n_sequences, np.float32),
                      _padded(max(max_history * sample_size, 1), np.int64),
                      _padded(sample_size, np.int64), _padded(sample_size, np.float32),
                      _padded(sample_size, np.int64), _padded(max_history, np.int64),
                      _padded(max_history, np.float32), _padded(max_history, np.int64),
                      _padded(n_items, np.int64, -1))


_HELD = threading.local()  # per thread: session-kNN's scratch, of the last shape used


def thread_scratch(n_sequences, n_items, max_history, sample_size):
    """This thread's scratch for session-kNN's neighbour kernel, kept between
    blocks and calls (zeroing a fresh float per training sequence for every
    block of rows costs throughput on millions of sequences,
    docs/benchmarks.md).  The rows leave ``acc`` zero, so the scratch holds
    nothing of a model; the item marks are reset here (a mark is a row index,
    of one call).  A thread holds one scratch, of the last shape it used."""
    key = (n_sequences, n_items, max_history, sample_size)
    held = getattr(_HELD, "scratch", None)
    if held is None or held[0] != key:
        scr = knn_scratch(*key)
        _HELD.scratch = (key, scr)
        return scr
    scr = held[1]
    scr.q_mark.fill(-1)
    return scr


def add_session_knn_scores(ids, starts, q0, max_history, linear, sessions, sess_norm,
                           item_indptr, item_sessions, k, sample_size, self_rows, out,
                           weight, scaled, n_threads):
    """Session-kNN: item ``i`` of history ``r`` scores the summed similarity
    of the ``k`` most similar training sequences (among the ``sample_size``
    most recent that share an item with the history) that contain it.

    Similarity is the cosine between the history's last ``max_history``
    distinct items (linearly decaying weights if ``linear``) and a
    sequence's distinct items (``sessions``: CSR, sequences x items, ones).
    ``self_rows[r] >= 0`` names a training sequence that history ``r`` must
    not match (itself, in validation).  The neighbours come from a kernel
    (rows split over ``n_threads``); their items' scores are a sparse
    product.  ``scaled`` as in :func:`add_rule_scores`.
    """
    n_items = out.shape[1]
    width = max(min(k, sample_size), 1)

    def block(r0, r1):
        nb_sess = np.empty((r1 - r0, width), np.int64)
        nb_sim = np.empty((r1 - r0, width), np.float32)
        nb_count = np.zeros(r1 - r0, np.int64)
        scr = thread_scratch(sess_norm.shape[0], n_items, max_history, sample_size)
        _session_knn_neighbours(ids, starts, q0 + r0, max_history, linear, sess_norm,
                                item_indptr, item_sessions, k, sample_size,
                                self_rows[r0:r1], scr, nb_sess, nb_sim, nb_count)
        found = np.arange(width) < nb_count[:, None]
        neighbours = sp.csr_matrix((nb_sim[found], nb_sess[found], offsets(nb_count)),
                                   shape=(r1 - r0, sessions.shape[0]))
        add_sparse_scores(neighbours @ sessions, out[r0:r1], weight, scaled)

    in_row_blocks(out.shape[0], block, n_threads)


def distinct_items(ids, starts, n_items):
    """The distinct known items of each sequence: a CSR ``(n_sequences,
    n_items)`` matrix of ones, items ascending in each row (scipy)."""
    items = Ragged(ids, starts).known().to_csr(n_items)
    items.sum_duplicates()  # (sorts and merges in place: its own copy of the ids)
    items.data[:] = 1.0
    return items


def repeat_share(ids, starts, n_items):
    """Share of the interactions after the first of each sequence that repeat
    an item seen earlier in the same sequence (from the distinct items per
    sequence)."""
    distinct = distinct_items(ids, starts, n_items)
    n_known = int(np.count_nonzero(ids >= 0))
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
    in_row_blocks(n_rows, lambda a, b: _merge_tile(
        scores[a:b], np.int64(b - a), np.int64(scores.shape[1]), np.int64(a), _ZERO,
        excl_indptr, excl_indices, heap_val, heap_idx, True), n_threads)
    return heap_idx, heap_val


def gather_candidates(mats, tops, hist_ids, hist_starts, q0, targets):
    """Candidate items of each row for weight tuning and their scores.

    The candidates of row ``r`` are its target, its history and the items
    of ``tops[r]`` (each component's best items, -1 skipped), without
    repeats, in that order; ``mats`` is ``(n_components, n_rows, n_items)``
    of scaled scores.  Returns the candidate indices ``(n_rows, width)``
    (-1 pads) and their scores ``(n_rows, width, n_components)``.  (numpy:
    it runs once per validation block in ``fit``.)
    """
    n_comp, n_rows = mats.shape[:2]
    lengths = np.diff(hist_starts[q0:q0 + n_rows + 1])
    max_hist = int(lengths.max()) if n_rows else 0
    hist = np.full((n_rows, max_hist), -1, np.int64)
    row_of = np.repeat(np.arange(n_rows), lengths)
    col_of = np.arange(len(row_of)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    hist[row_of, col_of] = hist_ids[hist_starts[q0]:hist_starts[q0 + n_rows]]
    raw = np.concatenate([np.asarray(targets, np.int64)[:, None], hist,
                          tops.astype(np.int64, copy=False)], axis=1)
    # later occurrences of an item in a row: equal to their predecessor
    # in a stable sort of the row
    order = np.argsort(raw, axis=1, kind="stable")
    ranked = np.take_along_axis(raw, order, axis=1)
    repeat = np.zeros(raw.shape, bool)
    np.put_along_axis(repeat, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
    keep = (raw >= 0) & ~repeat
    # kept candidates to the front of each row, in their order
    front = np.argsort(~keep, axis=1, kind="stable")
    cand = np.take_along_axis(np.where(keep, raw, -1), front, axis=1)
    vals = np.zeros(cand.shape + (n_comp,), np.float32)
    r, j = np.nonzero(cand >= 0)
    vals[r, j] = mats[:, r, cand[r, j]].T
    return cand, vals
