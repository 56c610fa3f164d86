"""The subword (fastText) path of the word2vec chunk kernel: one subsampled
sentence whose inputs are the mean or sum of each word's row and its
n-gram rows, gathered once per window position (a ring of slots)."""

import numpy as np
from numba import njit

from .._variants import inner
from .memory import HOT_SYNC, prefetch_row, sync_hot
from .output_layer import LOSS_SAMPLE_MASK, clip_step, output_layer_call
from .rng import draw_negatives, next_random, random_below


@njit(inline="always")
def _enter(w, tok, mean, row_l, row_g):
    """Gather the input rows of ``tok`` (its word row and n-gram rows) into
    ``row_l`` (their mean if ``mean``, else their sum); zero ``row_g``;
    return the number of rows."""
    dim = row_l.shape[0]
    s0, s1 = w.sub_indptr[tok], w.sub_indptr[tok + 1]
    for k in range(dim):
        row_l[k] = w.syn0[tok, k]
        row_g[k] = 0.0
    for p in range(s0, s1):
        b = w.sub_ids[p]
        for k in range(dim):
            row_l[k] += w.ngrams[b, k]
    n_rows = 1 + s1 - s0
    if mean:
        inv = np.float32(1.0) / np.float32(n_rows)
        for k in range(dim):
            row_l[k] *= inv
    return n_rows


@njit(inline="always")
def _leave(w, tok, row_g, locked):
    """Add the gradient accumulated for a position to every row of its
    token (the word row scaled by its lock factor)."""
    dim = row_g.shape[0]
    lock = w.lockf[tok] if locked else np.float32(1.0)
    for k in range(dim):
        w.syn0[tok, k] += lock * row_g[k]
    for p in range(w.sub_indptr[tok], w.sub_indptr[tok + 1]):
        b = w.sub_ids[p]
        for k in range(dim):
            w.ngrams[b, k] += row_g[k]


@njit(inline="always")
def _prefetch_rows(w, tok):
    prefetch_row(w.syn0, tok)
    for p in range(w.sub_indptr[tok], w.sub_indptr[tok + 1]):
        prefetch_row(w.ngrams, w.sub_ids[p])


@inner(fastmath=True)
def subword_sentence(w, t, opt, scr, n, alpha, state, n_examples, word_base):
    """Train one subsampled sentence ``scr.buf[:n]`` with subwords (fastText).

    The input vector of a word is the mean (skip-gram) or the sum (CBOW,
    averaged over all rows of the window) of its own row and its n-gram
    rows: a dozen rows per word.  Gathering them for every example and
    writing every example's gradient back to all of them would make each
    example a dozen times dearer than in word2vec.  Instead a position's
    input is gathered once, when it enters the window, into a ring of
    ``2 * window + 2`` slots; the gradients of the examples it takes part in
    accumulate in its slot and reach its rows once, when it leaves the
    window (a mini-batch over the window, as HogBatch does for words).

    Returns (sampled loss, sampled examples, examples, random state).
    """
    buf = scr.buf
    ring_l, ring_g, ring_n = scr.ring_l, scr.ring_g, scr.ring_n
    n_slots = ring_l.shape[0]
    syn1 = w.syn1
    dim = w.syn0.shape[1]
    hot1_lo = syn1.shape[0] - scr.hot1.shape[0]
    negative = opt.negative
    window = opt.window
    negs = scr.negs
    work, neu1 = scr.work, scr.neu1
    loss = 0.0
    n_tracked = 0
    per_target = negative > 0 and (opt.shared_negatives or not opt.sg)
    if per_target and n > 0:
        state = draw_negatives(negs[0], buf[0], t.threshold, t.alias, state)
    loaded = 0
    for i in range(n):
        if hot1_lo < syn1.shape[0]:
            if ((word_base + i) & (HOT_SYNC - 1)) == HOT_SYNC - 1:
                sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
        while loaded < n and loaded <= i + window:
            slot = loaded % n_slots
            ring_n[slot] = _enter(w, buf[loaded], opt.sg, ring_l[slot], ring_g[slot])
            loaded += 1
            if loaded < n:
                _prefetch_rows(w, buf[loaded])
        target = buf[i]
        cur = negs[i & 1]
        if i + 1 < n and per_target:
            ahead = negs[(i + 1) & 1]
            state = draw_negatives(ahead, buf[i + 1], t.threshold, t.alias, state)
            prefetch_row(w.syn1neg, buf[i + 1])
            for d in range(negative):
                if ahead[d] >= 0:
                    prefetch_row(w.syn1neg, ahead[d])
        b = 0
        if opt.shrink_windows:
            state, z = next_random(state)
            b = random_below(z, window)
        lo = i - window + b if i - window + b > 0 else 0
        hi = i + window + 1 - b if i + window + 1 - b < n else n
        if opt.sg:
            for j in range(lo, hi):
                if j == i:
                    continue
                slot = j % n_slots
                for k in range(dim):
                    work[k] = 0.0
                if negative > 0 and not opt.shared_negatives:
                    state = draw_negatives(cur, target, t.threshold, t.alias, state)
                track = (n_examples & LOSS_SAMPLE_MASK) == 0
                loss += output_layer_call(ring_l[slot], target, alpha, work, syn1, w.syn1neg,
                                      opt.hs, negative, t.codes, t.points, t.code_lens, cur,
                                      scr.fbuf, track, scr.hot1, hot1_lo)
                n_tracked += track
                n_examples += 1
                for k in range(dim):
                    ring_g[slot, k] += clip_step(work[k])
        elif hi - lo > 1:
            count = 0
            for k in range(dim):
                neu1[k] = 0.0
                work[k] = 0.0
            for j in range(lo, hi):
                if j == i:
                    continue
                slot = j % n_slots
                count += ring_n[slot]
                for k in range(dim):
                    neu1[k] += ring_l[slot, k]
            if opt.cbow_mean:
                inv = np.float32(1.0) / np.float32(count)
                for k in range(dim):
                    neu1[k] *= inv
            track = (n_examples & LOSS_SAMPLE_MASK) == 0
            loss += output_layer_call(neu1, target, alpha, work, syn1, w.syn1neg, opt.hs,
                                  negative, t.codes, t.points, t.code_lens, cur, scr.fbuf,
                                  track, scr.hot1, hot1_lo)
            n_tracked += track
            n_examples += 1
            for j in range(lo, hi):
                if j == i:
                    continue
                slot = j % n_slots
                for k in range(dim):
                    ring_g[slot, k] += clip_step(work[k])
        p = i - window  # no later target reaches this position
        if p >= 0:
            _leave(w, buf[p], ring_g[p % n_slots], opt.locked)
    for p in range(n - window if n > window else 0, n):
        _leave(w, buf[p], ring_g[p % n_slots], opt.locked)
    return loss, n_tracked, n_examples, state
