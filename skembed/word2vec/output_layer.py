"""The output layer of the word2vec kernels: negative sampling and
hierarchical softmax for one (input vector, target) example, with the
sigmoid tables, the loss sample and the step bound they share.

``output_layer`` is compiled as part of each chunk kernel variant
(:func:`skembed.word2vec.kernels.chunk_kernel` rebinds ``HS_CODE`` and
``NS_CODE`` below) and inlined by Numba there: as a call, training was
10-40 % slower.  Hot-row copies of the Huffman tree's top nodes are in
:mod:`skembed.word2vec.memory`.
"""

import numpy as np
from numba import njit

from .._variants import inner

MAX_EXP = 6.0
TABLE_SIZE = 1000


def _tables():
    x = (np.arange(TABLE_SIZE, dtype=np.float64) / TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


# sigmoid and log-sigmoid on [-MAX_EXP, MAX_EXP), as in the C tool
SIGMOID_TABLE, LOG_SIGMOID_TABLE = _tables()
_SCALE = TABLE_SIZE / MAX_EXP / 2.0


@inner(fastmath=True)
def sigmoid(f):
    return SIGMOID_TABLE[int((f + MAX_EXP) * _SCALE)]


@inner(fastmath=True)
def neg_log_sigmoid(f):
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
def clip_step(x):
    if x > MAX_STEP:
        return MAX_STEP
    if x < -MAX_STEP:
        return -MAX_STEP
    return x


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
def _hs_updates(l1, table, lo, target, codes, points, d0, d1, fbuf, alpha, work, track,
                learn):
    """Gradients of Huffman path nodes ``d0..d1`` into ``work``; the nodes
    learn too when ``learn`` (a compile-time constant of the caller: frozen
    for inference)."""
    loss = 0.0
    dim = l1.shape[0]
    for d in range(d0, d1):
        f = fbuf[d]
        code = np.float32(codes[target, d])
        if track:
            loss += neg_log_sigmoid((np.float32(1.0) - np.float32(2.0) * code) * f)
        if f <= -MAX_EXP or f >= MAX_EXP:
            continue  # saturated: the C tool skips the update
        g = (np.float32(1.0) - code - sigmoid(f)) * alpha
        row = points[target, d] - lo
        if learn:
            for k in range(dim):
                work[k] += g * table[row, k]
                table[row, k] += clip_step(g * l1[k])
        else:
            for k in range(dim):
                work[k] += g * table[row, k]
    return loss


def output_layer(l1, target, alpha, work, syn1, syn1neg, hs, negative,
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
    live in this thread's copy ``hot1`` (see :func:`sync_hot`).  A node's
    parent has a higher row than the node, so they are always a prefix of
    the path (root first), and each part is a loop over one table.

    Returns the loss, computed only when ``track`` (a sample of the
    examples: computing it for every example costs about a third of the
    training time).

    With ``LEARN_OUTPUT`` off (a compiled variant for inference) the output
    rows stay as they are: only ``work`` is computed.
    """
    dim = l1.shape[0]
    loss = 0.0
    if HS_CODE and hs and hot1.shape[0] == 0:  # one thread: no copies, plain loops
        n_nodes = code_lens[target]
        _hs_dots(l1, syn1, 0, target, points, 0, n_nodes, fbuf)
        loss += _hs_updates(l1, syn1, 0, target, codes, points, 0, n_nodes, fbuf,
                            alpha, work, track, LEARN_OUTPUT)
    elif HS_CODE and hs:
        n_nodes = code_lens[target]
        n_top = 0
        while n_top < n_nodes and points[target, n_top] >= hot1_lo:
            n_top += 1
        _hs_dots(l1, hot1, hot1_lo, target, points, 0, n_top, fbuf)
        _hs_dots(l1, syn1, 0, target, points, n_top, n_nodes, fbuf)
        loss += _hs_updates(l1, hot1, hot1_lo, target, codes, points, 0, n_top, fbuf,
                            alpha, work, track, LEARN_OUTPUT)
        loss += _hs_updates(l1, syn1, 0, target, codes, points, n_top, n_nodes, fbuf,
                            alpha, work, track, LEARN_OUTPUT)
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
                loss += neg_log_sigmoid(f) if d == 0 else neg_log_sigmoid(-f)
            if f <= -MAX_EXP or f >= MAX_EXP:
                continue  # saturated: no update (as gensim; acts as a regulariser)
            g = (label - sigmoid(f)) * alpha
            if LEARN_OUTPUT:
                for k in range(dim):
                    work[k] += g * syn1neg[row, k]
                    syn1neg[row, k] += clip_step(g * l1[k])
            else:
                for k in range(dim):
                    work[k] += g * syn1neg[row, k]
    return loss


# Compile-time switches, bound per compiled variant (see
# skembed.word2vec.kernels): code behind a switch that is off is pruned by
# Numba before it is typed.  Here everything is on (the generic layer).
HS_CODE = True
NS_CODE = True
LEARN_OUTPUT = True  # off: the output rows are frozen (document-vector inference)

# The subword path calls the generic output layer as a function instead of
# inlining it: inlining it there doubled the kernels' compile time (17 s more
# on a cold cache) for no measurable speed, that path being bound by memory.
output_layer_call = inner(fastmath=True)(output_layer)
