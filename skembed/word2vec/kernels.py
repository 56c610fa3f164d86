"""Numba kernels of the word2vec engine: skip-gram and CBOW, each with
negative sampling and/or hierarchical softmax.

Plain arrays in, plain arrays out; no scikit-learn here.  The corpus is one
int32 array of key indices cut into sentences (``starts``) and grouped into
chunks of sentences (``chunk_starts``).  A pass trains the chunks in the
order given by :func:`stripe_order`; with several threads (Python threads
calling the compiled chunk kernel, which releases the GIL) each thread
trains its own contiguous stripe of the corpus and updates the shared
weights without locks (hogwild).  Keeping the threads on distant parts of the
corpus matters: neighbouring chunks share topics, hence rows, and two
threads writing the same rows at once make the cores fight over cache
lines.
Random numbers come from a per-chunk splitmix64 stream seeded from
``(seed, chunk)``, which makes single-threaded runs bit-reproducible.
"""

from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic

from .._threads import in_threads
from .._variants import inner, variant

MAX_EXP = 6.0
TABLE_SIZE = 1000


def _tables():
    x = (np.arange(TABLE_SIZE, dtype=np.float64) / TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


# sigmoid and log-sigmoid on [-MAX_EXP, MAX_EXP), as in the C tool
SIGMOID_TABLE, LOG_SIGMOID_TABLE = _tables()
_SCALE = TABLE_SIZE / MAX_EXP / 2.0

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U30 = np.uint64(30)
_U27 = np.uint64(27)
_U31 = np.uint64(31)
_U32 = np.uint64(32)
_U40 = np.uint64(40)
_LOW32 = np.uint64(0xFFFFFFFF)


# Small helpers are compiled once each and inlined by LLVM (``inner``):
# Numba's own inlining (``inline="always"``) types the helper again at every
# call site, which was a sixth of the skip-gram kernel's cold compile time.
# The output layer and the loops of hierarchical softmax and subwords stay
# inlined by Numba: as calls, training was 10-40 % slower.
@inner(fastmath=True)
def _mix(z):
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


@inner(fastmath=True)
def _next(state):
    """splitmix64 step: returns (new_state, random uint64)."""
    state = state + _GOLDEN
    return state, _mix(state)


@inner(fastmath=True)
def _below(z, n):
    """Map a random uint64 to an int in [0, n) (multiply-shift on 32 bits)."""
    return np.int64(((z >> _U32) * np.uint64(n)) >> _U32)


@inner(fastmath=True)
def _uniform(z):
    """Random float in [0, 1) from the high bits."""
    return np.float32(z >> _U40) * np.float32(1.0 / 16777216.0)


@inner(fastmath=True)
def _draw_negative(z, threshold, alias):
    n = threshold.shape[0]
    k = _below(z, n)
    if (z & _LOW32) < np.uint64(threshold[k]):
        return k
    return np.int64(alias[k])


@inner(fastmath=True)
def _sigmoid(f):
    return SIGMOID_TABLE[int((f + MAX_EXP) * _SCALE)]


@inner(fastmath=True)
def _neg_log_sigmoid(f):
    """-log(sigmoid(f)), table inside the range, asymptotes outside."""
    if f >= MAX_EXP:
        return 0.0
    if f <= -MAX_EXP:
        return -f
    return -LOG_SIGMOID_TABLE[int((f + MAX_EXP) * _SCALE)]


# The loss is measured on every 8th training example (an unbiased estimate of
# the mean loss per example; exact on every example would cost ~30% speed).
LOSS_SAMPLE_MASK = 7


# Bound on one coordinate of one SGD step.  With sane learning rates updates
# are orders of magnitude smaller and this never binds; with extreme ones
# (alpha=1) it turns the exponential blow-up of the two coupled tables into
# at most linear growth, so the weights stay finite.
MAX_STEP = np.float32(1.0)


@inner(fastmath=True)
def _clip(x):
    if x > MAX_STEP:
        return MAX_STEP
    if x < -MAX_STEP:
        return -MAX_STEP
    return x


@intrinsic
def _prefetch(typingctx, arr, row, col):
    """Hint the CPU to bring ``arr[row, col]`` (2-D, C order) into cache.

    The rows the next example will touch are requested while the current
    one computes, hiding much of the memory latency of random row access
    (large vocabularies do not fit in the L2 cache).
    """
    if not (isinstance(arr, nbtypes.Array) and arr.ndim == 2
            and isinstance(row, nbtypes.Integer) and isinstance(col, nbtypes.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty, rowty, colty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        r = context.cast(builder, args[1], rowty, nbtypes.intp)
        c = context.cast(builder, args[2], colty, nbtypes.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, c])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, i32(1), i32(3), i32(1)])  # write, keep in L1, data
        return context.get_dummy_value()

    return nbtypes.void(arr, row, col), codegen


@inner(fastmath=True)
def _prefetch_row(arr, row):
    for col in range(0, arr.shape[1], 16):  # one request per 64-byte line
        _prefetch(arr, row, col)


@inner(fastmath=True)
def _draw_negatives(negs, target, threshold, alias, state):
    """Fill ``negs`` with negative samples (-1 where the draw hit ``target``)."""
    for d in range(negs.shape[0]):
        state, z = _next(state)
        row = _draw_negative(z, threshold, alias)
        negs[d] = -1 if row == target else row
    return state


@njit(inline="always")
def _hs_dots(l1, table, lo, target, points, d0, d1, fbuf):
    """Scores of Huffman path nodes ``d0..d1`` of ``target``; node row ``r``
    is row ``r - lo`` of ``table``."""
    dim = l1.shape[0]
    for d in range(d0, d1):
        row = points[target, d] - lo
        f = np.float32(0.0)
        for k in range(dim):
            f += l1[k] * table[row, k]
        fbuf[d] = f


@njit(inline="always")
def _hs_updates(l1, table, lo, target, codes, points, d0, d1, fbuf, alpha, work, track):
    loss = 0.0
    dim = l1.shape[0]
    for d in range(d0, d1):
        f = fbuf[d]
        code = np.float32(codes[target, d])
        if track:
            loss += _neg_log_sigmoid((np.float32(1.0) - np.float32(2.0) * code) * f)
        if f <= -MAX_EXP or f >= MAX_EXP:
            continue  # saturated: the C tool skips the update
        g = (np.float32(1.0) - code - _sigmoid(f)) * alpha
        row = points[target, d] - lo
        for k in range(dim):
            work[k] += g * table[row, k]
            table[row, k] += _clip(g * l1[k])
    return loss


def _output_layer(l1, target, alpha, work, syn1, syn1neg, hs, negative,
                  codes, points, code_lens, negs, fbuf, track, hot1, hot1_lo):
    """Train the output layer for one (input vector, target) example.

    Accumulates the input-vector gradient in ``work`` and updates the output
    rows in place; ``negs`` holds the negative samples.  All dot products of
    the example are taken first, then all updates are applied: the dot
    products are independent chains the CPU overlaps, where the sequential
    order (dot, update, next dot) serialises them.  Rows within one
    example are distinct (Huffman path nodes; target and negatives, up to a
    repeated negative), so this is the same update as the sequential one up
    to such repeats.  ``fbuf`` is scratch for the scores.

    Inner nodes ``hot1_lo..`` of the Huffman tree (those nearest the root)
    live in this thread's copy ``hot1`` (see :func:`_sync_hot`).  A node's
    parent has a higher row than the node, so they are always a prefix of
    the path (root first), and each part is a loop over one table.

    Returns the loss, computed only when ``track`` (a sample of the
    examples: computing it for every example costs about a third of the
    training time).
    """
    dim = l1.shape[0]
    loss = 0.0
    if HS_CODE and hs and hot1.shape[0] == 0:  # one thread: no copies, plain loops
        n_nodes = code_lens[target]
        _hs_dots(l1, syn1, 0, target, points, 0, n_nodes, fbuf)
        loss += _hs_updates(l1, syn1, 0, target, codes, points, 0, n_nodes, fbuf,
                            alpha, work, track)
    elif HS_CODE and hs:
        n_nodes = code_lens[target]
        n_top = 0
        while n_top < n_nodes and points[target, n_top] >= hot1_lo:
            n_top += 1
        _hs_dots(l1, hot1, hot1_lo, target, points, 0, n_top, fbuf)
        _hs_dots(l1, syn1, 0, target, points, n_top, n_nodes, fbuf)
        loss += _hs_updates(l1, hot1, hot1_lo, target, codes, points, 0, n_top, fbuf,
                            alpha, work, track)
        loss += _hs_updates(l1, syn1, 0, target, codes, points, n_top, n_nodes, fbuf,
                            alpha, work, track)
    if NS_CODE and negative > 0:
        for d in range(negative + 1):
            row = target if d == 0 else negs[d - 1]
            f = np.float32(0.0)
            if row >= 0:
                for k in range(dim):
                    f += l1[k] * syn1neg[row, k]
            fbuf[d] = f
        for d in range(negative + 1):
            row = target if d == 0 else negs[d - 1]
            if row < 0:
                continue
            f = fbuf[d]
            label = np.float32(1.0) if d == 0 else np.float32(0.0)
            if track:
                loss += _neg_log_sigmoid(f) if d == 0 else _neg_log_sigmoid(-f)
            if f <= -MAX_EXP or f >= MAX_EXP:
                continue  # saturated: no update (as gensim; acts as a regulariser)
            g = (label - _sigmoid(f)) * alpha
            for k in range(dim):
                work[k] += g * syn1neg[row, k]
                syn1neg[row, k] += _clip(g * l1[k])
    return loss


# Compile-time switches, bound per compiled variant by variant (see the end
# of this module): code behind a switch that is off is pruned by Numba before
# it is typed, so a variant compiles only its own training mode.  Here, in
# the module's own namespace, everything is on (the generic kernel).
SG_CODE = True
HS_CODE = True
NS_CODE = True
SUBWORDS_CODE = True
PER_TARGET_CODE = True  # negatives drawn once per target word (CBOW; skip-gram if shared)

# The subword path calls the generic output layer as a function instead of
# inlining it: inlining it there doubled the kernels' compile time (17 s more
# on a cold cache) for no measurable speed, that path being bound by memory.
_output_layer_call = inner(fastmath=True)(_output_layer)


# Hot rows: every example of hierarchical softmax walks down from the root,
# so with several threads the few inner nodes near the root are written by
# all cores at once and their cache lines bounce between the cores (2
# threads were slower than 1 for skip-gram with hierarchical softmax).  Each
# thread therefore trains its own copy of the HOT_ROWS busiest nodes and
# merges its change into the shared table every HOT_SYNC target words (and
# at the end of its work): a thread sees the other threads' updates of those
# rows about a thousand words late.  512 rows / 1024 words scaled CBOW-HS
# 1.85x from 1 to 2 threads where 128 / 256 gave 1.66x (2048 rows: no
# better; syncing every 4096 words: within noise).  (The same for the most
# frequent keys' negative-sampling rows gained nothing measurable, so it is
# not done.)
HOT_ROWS = 512
HOT_SYNC = 1024  # a power of two: the kernel tests it with a bit mask


@inner(fastmath=True)
def _load_hot(shared, lo, hot, base):
    for r in range(hot.shape[0]):
        for k in range(hot.shape[1]):
            hot[r, k] = shared[lo + r, k]
            base[r, k] = shared[lo + r, k]


@inner(fastmath=True)
def _sync_hot(shared, lo, hot, base):
    """Add this thread's change of the hot rows to ``shared``, reload them."""
    for r in range(hot.shape[0]):
        for k in range(hot.shape[1]):
            v = shared[lo + r, k] + (hot[r, k] - base[r, k])
            shared[lo + r, k] = v
            hot[r, k] = v
            base[r, k] = v


# The kernels take their many same-typed arguments in named bundles, so a
# swapped argument is a wrong field name (an error), never a silent mix-up.
# ``lockf[row]`` scales every update of input row ``row`` (1: free, 0: frozen;
# gensim's ``vectors_lockf``): pretrained rows can be fine-tuned gently or kept.
# With subwords (fastText), ``ngrams`` is the table of hashed character
# n-grams and ``sub_ids[sub_indptr[w]:sub_indptr[w + 1]]`` the n-gram rows of
# key ``w``; without, ``ngrams`` has no rows and every key none.
Weights = namedtuple("Weights", ["syn0", "syn1", "syn1neg", "lockf", "ngrams", "sub_indptr",
                                 "sub_ids"])
Tables = namedtuple("Tables", ["keep_prob", "threshold", "alias", "codes", "points",
                               "code_lens"])
Options = namedtuple("Options", ["sg", "hs", "negative", "cbow_mean", "window",
                                 "shrink_windows", "shared_negatives", "alpha_start",
                                 "alpha_end", "schedule_words", "locked", "subwords"])
# ``ring_l``, ``ring_g``, ``ring_n``: with subwords, the gathered input,
# the accumulated gradient and the row count of each position in the window
Scratch = namedtuple("Scratch", ["buf", "work", "neu1", "negs", "fbuf", "hot1", "base1",
                                 "ring_l", "ring_g", "ring_n"])


@inner(fastmath=True)
def _subsample(tokens, p0, p1, keep_prob, buf, state):
    """Copy the kept tokens of ``tokens[p0:p1]`` into ``buf``; returns the
    number kept and the random state."""
    n = 0
    for p in range(p0, p1):
        w = tokens[p]
        kp = keep_prob[w]
        if kp < 1.0:
            state, z = _next(state)
            if _uniform(z) >= kp:
                continue
        buf[n] = w
        n += 1
    return n, state


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
    _prefetch_row(w.syn0, tok)
    for p in range(w.sub_indptr[tok], w.sub_indptr[tok + 1]):
        _prefetch_row(w.ngrams, w.sub_ids[p])


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
        state = _draw_negatives(negs[0], buf[0], t.threshold, t.alias, state)
    loaded = 0
    for i in range(n):
        if hot1_lo < syn1.shape[0]:
            if ((word_base + i) & (HOT_SYNC - 1)) == HOT_SYNC - 1:
                _sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
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
            state = _draw_negatives(ahead, buf[i + 1], t.threshold, t.alias, state)
            _prefetch_row(w.syn1neg, buf[i + 1])
            for d in range(negative):
                if ahead[d] >= 0:
                    _prefetch_row(w.syn1neg, ahead[d])
        b = 0
        if opt.shrink_windows:
            state, z = _next(state)
            b = _below(z, window)
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
                    state = _draw_negatives(cur, target, t.threshold, t.alias, state)
                track = (n_examples & LOSS_SAMPLE_MASK) == 0
                loss += _output_layer_call(ring_l[slot], target, alpha, work, syn1, w.syn1neg,
                                      opt.hs, negative, t.codes, t.points, t.code_lens, cur,
                                      scr.fbuf, track, scr.hot1, hot1_lo)
                n_tracked += track
                n_examples += 1
                for k in range(dim):
                    ring_g[slot, k] += _clip(work[k])
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
            loss += _output_layer_call(neu1, target, alpha, work, syn1, w.syn1neg, opt.hs,
                                  negative, t.codes, t.points, t.code_lens, cur, scr.fbuf,
                                  track, scr.hot1, hot1_lo)
            n_tracked += track
            n_examples += 1
            for j in range(lo, hi):
                if j == i:
                    continue
                slot = j % n_slots
                for k in range(dim):
                    ring_g[slot, k] += _clip(work[k])
        p = i - window  # no later target reaches this position
        if p >= 0:
            _leave(w, buf[p], ring_g[p % n_slots], opt.locked)
    for p in range(n - window if n > window else 0, n):
        _leave(w, buf[p], ring_g[p % n_slots], opt.locked)
    return loss, n_tracked, n_examples, state


# Bound per compiled variant by variant (see the end of this module).
OUTPUT_LAYER = None
TRAIN_CHUNK = None
SUBWORD_SENTENCE = subword_sentence


def _train_chunk(w, tokens, starts, s_begin, s_end, t, opt, word_offset, seed, chunk_id,
                 max_len, n_hot):
    """Train sentences ``s_begin..s_end`` of the corpus.

    ``w``: the weights (:data:`Weights`); ``t``: sampling tables and Huffman
    codes (:data:`Tables`); ``opt``: the training options (:data:`Options`);
    ``max_len`` and ``n_hot`` size its scratch (below).

    With shared negatives (skip-gram only; the compiled variant follows
    ``opt.shared_negatives``, see :func:`chunk_kernel`; the subword path reads
    the option itself), the negative samples are drawn once per target word
    and shared by all its context words (as in Ji et al.'s HogBatch): the few
    output rows involved stay in cache.

    The learning rate decays linearly from ``alpha_start`` to ``alpha_end``
    with the position ``word_offset + tokens index`` over ``schedule_words``
    (``word_offset`` may be virtual: the chunk's place in the training order).

    The kernel allocates its scratch (:func:`new_scratch`; ``max_len`` is the
    longest sentence): skip-gram on two threads then trained 7-8 % faster
    than with scratch passed in (probably because the compiler knows these
    arrays do not alias the weights).  ``scr.hot1`` is this
    call's copy of the last ``n_hot`` rows of ``syn1`` (none with one thread
    or without hierarchical softmax), loaded here and merged back every
    ``HOT_SYNC`` words and at the end; ``scr.base1`` holds their values at
    the last merge.

    Returns (loss sum over the sampled examples, number of sampled
    examples, number of examples, number of effective words).
    """
    # the chunk's own random stream, from (seed, chunk_id)
    state = _mix(_mix(np.uint64(seed) ^ (np.uint64(chunk_id) * _GOLDEN)))
    scr = NEW_SCRATCH(w, t, opt, max_len, n_hot)
    syn1 = w.syn1
    hot1_lo = syn1.shape[0] - scr.hot1.shape[0]
    if HS_CODE:
        _load_hot(syn1, hot1_lo, scr.hot1, scr.base1)
    negative = opt.negative
    window = opt.window
    buf = scr.buf
    negs = scr.negs
    loss = 0.0
    n_examples = 0
    n_tracked = 0
    n_effective = 0
    alpha_span = opt.alpha_start - opt.alpha_end
    for s in range(s_begin, s_end):
        progress = (word_offset + starts[s]) / opt.schedule_words
        decayed = opt.alpha_start - alpha_span * progress
        if decayed < opt.alpha_end:
            decayed = opt.alpha_end
        alpha = np.float32(decayed)
        n, state = _subsample(tokens, starts[s], starts[s + 1], t.keep_prob, buf, state)
        n_effective += n
        if SUBWORDS_CODE:
            sent_loss, sent_tracked, n_examples, state = SUBWORD_SENTENCE(
                w, t, opt, scr, n, alpha, state, n_examples, n_effective - n)
            loss += sent_loss
            n_tracked += sent_tracked
            continue
        # negatives drawn per target are drawn one target ahead, so that
        # their rows can be prefetched while the current target trains
        if PER_TARGET_CODE and n > 0:
            state = _draw_negatives(negs[0], buf[0], t.threshold, t.alias, state)
        for i in range(n):
            if HS_CODE and hot1_lo < syn1.shape[0]:
                if ((n_effective - n + i) & (HOT_SYNC - 1)) == HOT_SYNC - 1:
                    _sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
            cur = negs[i & 1]
            if i + 1 < n:
                if PER_TARGET_CODE:
                    ahead = negs[(i + 1) & 1]
                    state = _draw_negatives(ahead, buf[i + 1], t.threshold, t.alias, state)
                    _prefetch_row(w.syn1neg, buf[i + 1])
                    for d in range(negative):
                        if ahead[d] >= 0:
                            _prefetch_row(w.syn1neg, ahead[d])
                if i + window + 1 < n:  # the word entering the next window
                    _prefetch_row(w.syn0, buf[i + window + 1])
            b = 0
            if opt.shrink_windows:
                state, z = _next(state)
                b = _below(z, window)
            lo = i - window + b if i - window + b > 0 else 0
            hi = i + window + 1 - b if i + window + 1 - b < n else n
            if SG_CODE:
                target = buf[i]
                work = scr.work
                syn0 = w.syn0
                dim = syn0.shape[1]
                ex_loss = 0.0
                tracked = 0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    ctx = buf[j]
                    for k in range(dim):
                        work[k] = 0.0
                    if NS_CODE and not PER_TARGET_CODE:
                        state = _draw_negatives(cur, target, t.threshold, t.alias, state)
                    track = (n_examples & LOSS_SAMPLE_MASK) == 0
                    ex_loss += OUTPUT_LAYER(syn0[ctx], target, alpha, work, syn1, w.syn1neg,
                                             opt.hs, negative, t.codes, t.points,
                                             t.code_lens, cur, scr.fbuf, track, scr.hot1,
                                             hot1_lo)
                    tracked += track
                    n_examples += 1
                    if opt.locked:
                        lock = w.lockf[ctx]
                        for k in range(dim):
                            syn0[ctx, k] += lock * _clip(work[k])
                    else:
                        for k in range(dim):
                            syn0[ctx, k] += _clip(work[k])
                loss += ex_loss
                n_tracked += tracked
            else:
                count = hi - lo - 1
                if count <= 0:
                    continue
                target = buf[i]
                work = scr.work
                neu1 = scr.neu1
                syn0 = w.syn0
                dim = syn0.shape[1]
                for k in range(dim):
                    neu1[k] = 0.0
                    work[k] = 0.0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    ctx = buf[j]
                    for k in range(dim):
                        neu1[k] += syn0[ctx, k]
                if opt.cbow_mean:
                    inv = np.float32(1.0) / np.float32(count)
                    for k in range(dim):
                        neu1[k] *= inv
                track = (n_examples & LOSS_SAMPLE_MASK) == 0
                loss += OUTPUT_LAYER(neu1, target, alpha, work, syn1, w.syn1neg, opt.hs,
                                      negative, t.codes, t.points, t.code_lens, cur, scr.fbuf,
                                      track, scr.hot1, hot1_lo)
                n_tracked += track
                n_examples += 1
                for j in range(lo, hi):
                    if j == i:
                        continue
                    ctx = buf[j]
                    if opt.locked:
                        lock = w.lockf[ctx]
                        for k in range(dim):
                            syn0[ctx, k] += lock * _clip(work[k])
                    else:
                        for k in range(dim):
                            syn0[ctx, k] += _clip(work[k])
    if HS_CODE:
        _sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
    return loss, n_tracked, n_examples, n_effective


def new_scratch(w, t, opt, max_len, n_hot):
    """A chunk's scratch (:data:`Scratch`), ``n_hot`` rows of hot copies.

    Each array is padded by 128 bytes on both sides: small allocations of
    different threads can otherwise share a cache line, and the cores then
    fight over it on every write (this made identical 2-thread fits take
    either 3 s or 7 s, by allocator luck).
    """
    dim = w.syn0.shape[1]
    # (conditional expressions, not min/max: those compile per signature)
    n_neg = opt.negative if opt.negative > 1 else 1
    n_f = opt.negative + 1 if opt.negative + 1 > t.codes.shape[1] else t.codes.shape[1]
    n_slots = 0
    if opt.subwords:
        n_slots = 2 * opt.window + 2 if 2 * opt.window + 2 < max_len + 1 else max_len + 1
    return Scratch(
        np.empty(max_len + 64, np.int32)[32:32 + max_len],
        np.empty(dim + 64, np.float32)[32:32 + dim],
        np.empty(dim + 64, np.float32)[32:32 + dim],
        np.empty(2 * n_neg + 32, np.int64)[16:16 + 2 * n_neg].reshape((2, n_neg)),
        np.empty(n_f + 64, np.float32)[32:32 + n_f],
        np.empty((n_hot, dim), np.float32),
        np.empty((n_hot, dim), np.float32),
        np.empty((n_slots, dim), np.float32),
        np.empty((n_slots, dim), np.float32),
        np.empty(n_slots, np.int64),
    )


NEW_SCRATCH = inner(fastmath=True)(new_scratch)


def train_chunks(chunk, w, tokens, starts, chunk_starts, order, offsets, c_begin, c_end, t,
                 opt, word_offset, seed, chunk_base, n_threads, max_len):
    """Train the chunks of slots ``c_begin..c_end`` of ``order`` with the
    compiled chunk kernel ``chunk`` (:func:`chunk_kernel`).

    Thread ``th`` takes slots ``th, th + n, ...`` (``c_begin`` a multiple of
    ``n``; slots holding -1 are padding); thread 0 is the caller, the others
    are the process's worker threads (:func:`skembed._threads.in_threads`).
    The kernel releases the GIL, so Python threads train in parallel, as
    gensim's do; the dispatch of one call per chunk (10,000 words) costs
    microseconds, and nothing but the chunk kernel is compiled (a Numba
    ``prange`` loop around it took seconds more to compile on a cold cache).
    A failed or interrupted thread makes the others stop after their current
    chunk.  Hierarchical softmax on several threads uses :func:`hs_pass`
    instead.

    Chunk ``c`` trains at schedule position ``word_offset + offsets[c]``:
    where it falls in the training order, not in the corpus.  Its random
    stream is seeded from ``(seed, chunk_base + c)``: ``chunk_base`` is the
    number of chunks of the epoch in earlier pieces, so a chunk draws the same
    numbers however the corpus is cut into pieces.

    Returns per-thread (sampled loss, sampled examples, examples, effective
    words) as arrays.
    """
    n_hot = min(HOT_ROWS, w.syn1.shape[0]) if n_threads > 1 and opt.hs else 0

    def share(th, stop):  # stop: set when another thread failed or was interrupted
        loss, n_tr, n_ex, n_eff = 0.0, 0, 0, 0
        for slot in range(c_begin + th, c_end, n_threads):
            c = int(order[slot])
            if c < 0:
                continue
            if stop.is_set():
                break
            offset = word_offset + float(offsets[c] - starts[chunk_starts[c]])
            cl, nt, ne, nw = chunk(w, tokens, starts, chunk_starts[c], chunk_starts[c + 1], t,
                                   opt, offset, seed, chunk_base + c, max_len, n_hot)
            loss += cl
            n_tr += nt
            n_ex += ne
            n_eff += nw
        return loss, n_tr, n_ex, n_eff

    loss, n_tr, n_ex, n_eff = zip(*in_threads(n_threads, share), strict=True)
    return (np.array(loss), np.array(n_tr, np.int64), np.array(n_ex, np.int64),
            np.array(n_eff, np.int64))


def _hs_pass(w, tokens, starts, chunk_starts, order, offsets, c_begin, c_end, t, opt,
             word_offset, seed, chunk_base, n_threads, max_len):
    """:func:`train_chunks` as a Numba ``prange`` over the threads, for
    hierarchical softmax with several threads: there Python threads trained
    skip-gram 13 % slower (6 alternating runs; not explained), where with
    negative sampling they were 8 % faster and compile 3.5 s sooner.
    Returns per-thread (sampled loss, sampled examples, examples, effective
    words)."""
    n_hot = min(HOT_ROWS, w.syn1.shape[0])
    losses = np.zeros(n_threads, np.float64)
    tracked = np.zeros(n_threads, np.int64)
    examples = np.zeros(n_threads, np.int64)
    effective = np.zeros(n_threads, np.int64)
    for th in prange(n_threads):
        for slot in range(c_begin + th, c_end, n_threads):
            c = order[slot]
            if c < 0:
                continue
            offset = word_offset + offsets[c] - starts[chunk_starts[c]]
            cl, nt, ne, nw = TRAIN_CHUNK(w, tokens, starts, chunk_starts[c],
                                         chunk_starts[c + 1], t, opt, offset, seed,
                                         chunk_base + c, max_len, n_hot)
            losses[th] += cl
            tracked[th] += nt
            examples[th] += ne
            effective[th] += nw
    return losses, tracked, examples, effective


_PASS = {}  # mode -> compiled prange pass (hierarchical softmax, several threads)


def hs_pass(sg, hs, negative, shared):
    """The compiled :func:`_hs_pass` of a hierarchical-softmax mode."""
    chunk = chunk_kernel(sg, hs, negative, False, shared)
    mode = chunk.py_func.__name__[len("train_chunk_"):]
    if mode not in _PASS:
        _PASS[mode] = njit(nogil=True, fastmath=True, cache=True, parallel=True)(
            variant(_hs_pass, f"hs_pass_{mode}", TRAIN_CHUNK=chunk))
    return _PASS[mode]


_CHUNK = {}  # mode -> compiled chunk kernel


def chunk_kernel(sg, hs, negative, subwords, shared=False):
    """The compiled chunk kernel (:func:`_train_chunk`) of one training mode.

    One source, a compilation per mode, each on first use only: skip-gram
    or CBOW, with hierarchical softmax and/or negative sampling, skip-gram's
    negatives drawn per context word or ``shared`` by the contexts of a
    target, plain word2vec or with subwords (one variant: that path is
    generic over the modes).  The code of the other modes is pruned before
    it is typed, so a first fit compiles a fraction of the kernel.
    """
    if subwords:
        mode = "subwords"
        switches = dict(SG_CODE=True, HS_CODE=True, NS_CODE=True, SUBWORDS_CODE=True,
                        PER_TARGET_CODE=True)
    else:
        hs, ns = bool(hs), negative > 0
        shared = bool(sg and ns and shared)
        mode = (("sg" if sg else "cbow") + ("_hs" if hs else "") + ("_ns" if ns else "")
                + ("_shared" if shared else ""))
        switches = dict(SG_CODE=bool(sg), HS_CODE=hs, NS_CODE=ns, SUBWORDS_CODE=False,
                        PER_TARGET_CODE=ns and (shared or not sg))
    if mode not in _CHUNK:
        output = njit(inline="always")(
            variant(_output_layer, f"_output_layer_{mode}", **switches))
        _CHUNK[mode] = njit(nogil=True, fastmath=True, cache=True, error_model="numpy")(
            variant(_train_chunk, f"train_chunk_{mode}", OUTPUT_LAYER=output, **switches))
    return _CHUNK[mode]


def chunk_boundaries(starts, chunk_words=10_000, token_offset=0):
    """Group consecutive sentences into chunks of about ``chunk_words`` tokens.

    A chunk starts at the first sentence whose start reaches a multiple of
    ``chunk_words`` in the epoch's token stream; ``token_offset`` is the
    position of ``starts[0]`` in that stream (a piece of a streamed corpus),
    so the chunks of a piece that starts at a chunk boundary are the chunks
    the whole corpus would have there.

    Returns sentence indices ``chunk_starts`` (n_chunks + 1).
    """
    n_sent = len(starts) - 1
    if n_sent == 0:
        return np.zeros(1, np.int64)
    # chunk k starts at the first sentence whose start passes k * chunk_words
    total = starts[-1]
    first_mark = -(-int(token_offset) // chunk_words) * chunk_words - int(token_offset)
    marks = np.arange(first_mark, total, chunk_words, dtype=np.int64)
    first = np.searchsorted(starts[:-1], marks, side="left")
    bounds = np.unique(np.concatenate(([0], first, [n_sent])))
    return bounds.astype(np.int64)


def stripe_order(starts, chunk_starts, n_threads):
    """Training order of the chunks for ``n_threads`` threads.

    The chunks are cut into ``n_threads`` contiguous stripes; thread t
    trains stripe t front to back, so the threads are always far apart in
    the corpus.  Returns ``order`` (slot -> chunk, length a multiple of
    ``n_threads``, -1 for padding; slot ``i * n_threads + t`` is the i-th
    chunk of stripe t) and ``offsets`` (chunk -> number of tokens in the
    chunks of earlier slots, the chunk's place in the learning-rate
    schedule).  One thread: the corpus order, ``offsets`` = chunk starts.
    """
    n_chunks = len(chunk_starts) - 1
    bounds = np.linspace(0, n_chunks, n_threads + 1).astype(np.int64)
    rows = int(np.max(np.diff(bounds))) if n_chunks else 0
    grid = np.full((rows, n_threads), -1, np.int64)
    for t in range(n_threads):
        stripe = np.arange(bounds[t], bounds[t + 1])
        grid[: len(stripe), t] = stripe
    order = grid.ravel()
    real = order[order >= 0]
    words = starts[chunk_starts[real + 1]] - starts[chunk_starts[real]]
    offsets = np.zeros(n_chunks, np.int64)
    offsets[real] = np.cumsum(words) - words
    return order, offsets
