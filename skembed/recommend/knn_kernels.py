"""Session-kNN's kernels: the neighbour search (its selections would need
sorts in numpy) and the votes that turn neighbours into item scores.

The kernel takes named bundles: :data:`KnnIndex` (the training sequences'
norms and each item's posting list of sequences), :data:`KnnOptions` (the
query rule) and :data:`KnnScratch` (per-thread buffers from numpy).
Nothing here knows scikit-learn.
"""

import threading
from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from .._threads import in_row_blocks
from .._variants import inner
from .kernels import add_sparse_scores

# ``sess_norm``: sqrt of each training sequence's number of distinct items;
# ``item_indptr``, ``item_sessions``: the sequences holding each item, ascending
# (CSC of the sequences x items matrix)
KnnIndex = namedtuple("KnnIndex", ["sess_norm", "item_indptr", "item_sessions"])
# the query: the last ``max_history`` distinct items, weighted by their
# recency (``position``: a code of POSITION), ``k`` neighbours among the
# ``sample_size`` most recent candidate sequences; similarity cosine, or
# (``vec``) the query's weight in the overlap over the query's size, as
# V-SKNN; a neighbour's weight times its recency (halving every ``recency``
# later training sequences; 0: off) and divided by the step back to the most
# recent query item it holds (``match``: a code of MATCH)
KnnOptions = namedtuple("KnnOptions", ["max_history", "position", "k", "sample_size", "vec",
                                       "match", "recency"])
# weight of the query item ``a`` steps back (0: the last) of ``n`` items
POSITION = {"same": 0, "linear": 1, "quadratic": 2}
# a neighbour's weight over ``step``, the step back (1: the last item) to the
# most recent query item it holds: 1, 1 / step, 1 / step ** 2
MATCH = {"same": 0, "div": 1, "quadratic": 2}


def knn_options(max_history, position, k, sample_size, vec=False, match="same",
                recency=0.0):
    """:data:`KnnOptions` with the types the kernel is compiled for
    (``position``, ``match``: names of :data:`POSITION`, :data:`MATCH`)."""
    return KnnOptions(int(max_history), np.int64(POSITION[position]), int(k),
                      int(sample_size), bool(vec), np.int64(MATCH[match]), float(recency))


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
def _session_knn_row(ids, s, e, index, opt, self_row, scr, mark, nb_sess, nb_sim, nb_shared):
    """The ``opt.k`` nearest sessions of history ``ids[s:e]`` into
    ``nb_sess``, their similarities into ``nb_sim`` and the most recent
    history item each holds into ``nb_shared``, most similar first;
    returns how many.  ``index``: :data:`KnnIndex`; ``opt``:
    :data:`KnnOptions`; ``scr``: :data:`KnnScratch` (``mark``: this row's
    mark of its query items)."""
    max_history, position, k, sample_size, vec, match, recency = opt
    sess_norm, item_indptr, item_sessions = index
    sess_acc, sess_touched, sess_top, sims, best = scr.acc, scr.touched, scr.top, scr.sims, \
        scr.best
    sess_step = scr.step
    q_items, q_weight, q_ptr, q_mark = scr.q_items, scr.q_weight, scr.q_ptr, scr.q_mark
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
    q_sq = 0.0
    for a in range(n_q):
        # position weighting: the most recent item weighs 1
        w = (n_q - a) / n_q if position != 0 else 1.0
        q_weight[a] = w * w if position == 2 else w
        q_sq += q_weight[a] * q_weight[a]
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
                sess_step[sess] = a + 1  # query items come most recent first
                n_s += 1
            sess_acc[sess] += q_weight[a]
    cand = sess_touched[:n_s]
    if n_s > sample_size:  # the most recent (highest index), ascending
        m = _most_recent_sessions(q_items, n_q, item_indptr, item_sessions, sample_size,
                                  self_row, q_ptr, sess_top)
        cand = sess_top[:m]
    n_c = cand.shape[0]
    q_norm = np.sqrt(q_sq)  # cosine: the norm of the query's weights
    last = sess_norm.shape[0] - 1
    for c in range(n_c):
        sess = cand[c]
        if vec:
            sims[c] = sess_acc[sess] / n_q
        else:
            sims[c] = sess_acc[sess] / (sess_norm[sess] * q_norm)
        if recency > 0.0:
            sims[c] *= 0.5 ** ((last - sess) / recency)
    for c in range(n_s):
        sess_acc[sess_touched[c]] = 0.0
    n_nb = k if k < n_c else n_c
    _best_positions(sims[:n_c], best[:n_nb])
    for c in range(n_nb):
        sess = cand[best[c]]
        nb_sess[c] = sess
        step = sess_step[sess]
        nb_shared[c] = q_items[step - 1]
        if match == 1:
            nb_sim[c] = sims[best[c]] / step
        elif match == 2:
            nb_sim[c] = sims[best[c]] / (step * step)
        else:
            nb_sim[c] = sims[best[c]]
    return n_nb


@njit(nogil=True, cache=True, error_model="numpy")
def _session_knn_neighbours(ids, starts, q0, index, opt, self_rows, scr, nb_sess, nb_sim,
                            nb_shared, nb_count):
    for r in range(nb_sess.shape[0]):
        nb_count[r] = _session_knn_row(ids, starts[q0 + r], starts[q0 + r + 1], index, opt,
                                       self_rows[r], scr, q0 + r, nb_sess[r], nb_sim[r],
                                       nb_shared[r])


@njit(nogil=True, cache=True, error_model="numpy")
def _neighbour_votes(nb_sess, nb_sim, nb_shared, nb_count, v_indptr, v_indices, v_data, v_pos,
                     decay, acc, seen, out_indptr, out_indices, out_data):
    """Item scores of each row from its neighbours: the sum of each
    neighbour's similarity times its vote for the item (``v_*``, a CSR of
    sequences x items).  With ``decay > 0`` each vote is also weighted by
    ``exp(-|d| / decay)``, ``d`` the distance in positions (``v_pos``,
    aligned with the votes) between the item and the neighbour's item shared
    with the history (STAN's item-neighbourhood weight).  Writes a CSR (rows
    x items, an item's entry where it first appears, zero sums left out, as
    scipy's sparse product) into ``out_*`` (``out_indptr`` of ``n_rows +
    1``); ``acc`` (float32 per item, zeros) and ``seen`` (bool per item,
    False) are scratch, left clean."""
    total = 0
    out_indptr[0] = 0
    for r in range(nb_sess.shape[0]):
        first = total
        for c in range(nb_count[r]):
            sess = nb_sess[r, c]
            lo, hi = v_indptr[sess], v_indptr[sess + 1]
            sim = nb_sim[r, c]
            at = 0.0
            if decay > 0:
                # the shared item's position: binary search in the sorted row
                a, b = lo, hi
                while a < b:
                    m = (a + b) // 2
                    if v_indices[m] < nb_shared[r, c]:
                        a = m + 1
                    else:
                        b = m
                at = v_pos[a] if a < hi and v_indices[a] == nb_shared[r, c] else 0.0
            for q in range(lo, hi):
                item = v_indices[q]
                if not seen[item]:
                    seen[item] = True
                    out_indices[total] = item
                    total += 1
                if decay > 0:
                    acc[item] += sim * v_data[q] * np.float32(
                        np.exp(-abs(v_pos[q] - at) / decay))
                else:
                    acc[item] += sim * v_data[q]
        kept = first
        for q in range(first, total):
            item = out_indices[q]
            value = acc[item]
            acc[item] = 0.0
            seen[item] = False
            if value != 0.0:
                out_indices[kept] = item
                out_data[kept] = value
                kept += 1
        total = kept
        out_indptr[r + 1] = total


# Session-kNN's scratch, allocated by numpy (nothing to compile) and kept
# per thread (``thread_scratch``): ``acc`` one zero per training sequence (the
# rows leave it zero), ``q_mark`` -1 per item (a row marks its query items
# with its own index)
KnnScratch = namedtuple("KnnScratch", ["acc", "step", "touched", "top", "sims", "best",
                                       "q_items", "q_weight", "q_ptr", "q_mark"])


def _padded(n, dtype, fill=None):
    # 128 bytes on both sides: another thread's arrays never share a cache line
    a = np.empty(n + 32, dtype)[16:16 + n]
    if fill is not None:
        a[:] = fill
    return a


def knn_scratch(n_sequences, n_items, max_history, sample_size):
    """Fresh scratch for session-kNN's neighbour kernel."""
    return KnnScratch(np.zeros(n_sequences, np.float32), np.zeros(n_sequences, np.int32),
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


def _item_scores(data, q0, r0, r1, votes, index, opt, self_rows, distance=None):
    """Session-kNN scores of histories ``q0 + r0 .. q0 + r1`` as a CSR matrix
    (rows x items): the neighbours' similarities times their votes
    (``votes``: CSR, sequences x items); with ``distance`` ``(positions,
    decay)`` (each vote's position), each vote times STAN's ``exp(-d /
    decay)`` (see :func:`_neighbour_votes`)."""
    n_items = votes.shape[1]
    width = max(min(opt.k, opt.sample_size), 1)
    nb_sess = np.empty((r1 - r0, width), np.int64)
    nb_sim = np.empty((r1 - r0, width), np.float32)
    nb_shared = np.empty((r1 - r0, width), np.int64)
    nb_count = np.zeros(r1 - r0, np.int64)
    scr = thread_scratch(index.sess_norm.shape[0], n_items, opt.max_history, opt.sample_size)
    _session_knn_neighbours(data.ids, data.starts, q0 + r0, index, opt, self_rows[r0:r1],
                            scr, nb_sess, nb_sim, nb_shared, nb_count)
    positions, decay = (_NO_POSITIONS, 0.0) if distance is None else distance
    found = np.arange(width) < nb_count[:, None]
    bound = int(np.diff(votes.indptr)[nb_sess[found]].sum())  # entries at most
    indptr = np.empty(r1 - r0 + 1, np.int64)
    indices = np.empty(bound, np.int64)
    values = np.empty(bound, np.float32)
    _neighbour_votes(nb_sess, nb_sim, nb_shared, nb_count, votes.indptr, votes.indices,
                     votes.data, positions, float(decay), np.zeros(n_items, np.float32),
                     np.zeros(n_items, np.bool_), indptr, indices, values)
    return sp.csr_matrix((values[:indptr[-1]], indices[:indptr[-1]], indptr),
                         shape=(r1 - r0, n_items))


# the positions argument of plain votes (one dtype: one compiled kernel)
_NO_POSITIONS = np.zeros(1, np.float32)


def session_knn_scores(data, q0, n_rows, sessions, index, opt, self_rows, n_threads,
                       distance=None):
    """Session-kNN scores of histories ``q0 .. q0 + n_rows`` as a CSR matrix
    (rows x items; see :func:`add_session_knn_scores`)."""
    parts = {}

    def block(r0, r1):
        parts[r0] = _item_scores(data, q0, r0, r1, sessions, index, opt, self_rows, distance)

    in_row_blocks(n_rows, block, n_threads)
    if len(parts) == 1:
        return parts[0].tocsr()
    return sp.vstack([parts[r] for r in sorted(parts)], format="csr")


def add_session_knn_scores(data, q0, sessions, index, opt, self_rows, out, weight, scaled,
                           n_threads, distance=None):
    """Session-kNN scores of histories ``q0 .. q0 + len(out)`` of ``data`` (a
    Ragged of catalogue indices): item ``i`` of history ``r`` scores the
    summed similarity of the ``opt.k`` most similar training sequences
    (among the ``opt.sample_size`` most recent that share an item with the
    history) that contain it.

    Similarity is the cosine between the history's last ``opt.max_history``
    distinct items (weighted by recency as ``opt.position`` says; or V-SKNN's
    overlap over the query's size) and a sequence's distinct items
    (``sessions``: CSR, sequences x items, each item's vote; ``index``: their
    :data:`KnnIndex`).  ``self_rows[r] >= 0`` names a
    training sequence that history ``r`` must not match (itself, in
    validation).  The neighbours and their items' scores come from kernels
    (rows split over ``n_threads``; :func:`_item_scores`).  ``scaled`` as in
    :func:`~skembed.recommend.kernels.add_rule_scores`.
    """
    def block(r0, r1):
        add_sparse_scores(_item_scores(data, q0, r0, r1, sessions, index, opt, self_rows,
                                       distance), out[r0:r1], weight, scaled)

    in_row_blocks(out.shape[0], block, n_threads)
