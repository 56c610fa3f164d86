"""Training passes: the chunks of a piece of an epoch shared among threads.

:func:`train_chunks` runs the compiled chunk kernel on Python threads
(:func:`skembed._threads.in_threads`; the kernel releases the GIL), each
thread on its own stripe of chunks (:func:`~skembed.word2vec.chunks.stripe_order`);
:func:`hs_pass` is the same pass as a Numba ``prange`` loop, for
hierarchical softmax on several threads, where Python threads trained 13 %
slower.  Both take a :data:`Plan`: the piece's tokens and sentences, its
chunks and their training order.
"""

from collections import namedtuple

import numpy as np
from numba import njit, prange

from .._threads import in_threads
from .._variants import variant
from .memory import HOT_ROWS

# a piece of an epoch ready to train: ``tokens`` cut into sentences
# (``starts``), each sentence's document-vector row (``tags``; doc2vec, else
# empty), sentences into chunks (``chunk_starts``), and the chunks'
# training order (slot -> chunk, -1 for padding) and schedule positions
# (``offsets``, :func:`~skembed.word2vec.chunks.stripe_order`)
Plan = namedtuple("Plan", ["tokens", "starts", "tags", "chunk_starts", "order", "offsets"])

# Bound per compiled variant by hs_pass (the chunk kernel of its mode).
TRAIN_CHUNK = None


def train_chunks(chunk, w, plan, t, opt, c_begin, c_end, word_offset, seed, chunk_base,
                 n_threads, max_len):
    """Train the chunks of slots ``c_begin..c_end`` of ``plan.order`` with the
    compiled chunk kernel ``chunk`` (:func:`~skembed.word2vec.kernels.chunk_kernel`).

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
    # per-thread copies of the tree's top rows, for training (inference
    # leaves the tree as it is)
    n_hot = (min(HOT_ROWS, w.syn1.shape[0])
             if n_threads > 1 and opt.hs and opt.infer_epochs == 0 else 0)
    tokens, starts, tags, chunk_starts, order, offsets = plan

    def share(th, stop):  # stop: set when another thread failed or was interrupted
        loss, n_tr, n_ex, n_eff = 0.0, 0, 0, 0
        for slot in range(c_begin + th, c_end, n_threads):
            c = int(order[slot])
            if c < 0:
                continue
            if stop.is_set():
                break
            offset = word_offset + float(offsets[c] - starts[chunk_starts[c]])
            cl, nt, ne, nw = chunk(w, tokens, starts, tags, chunk_starts[c],
                                   chunk_starts[c + 1], t, opt, offset, seed, chunk_base + c,
                                   max_len, n_hot)
            loss += cl
            n_tr += nt
            n_ex += ne
            n_eff += nw
        return loss, n_tr, n_ex, n_eff

    loss, n_tr, n_ex, n_eff = zip(*in_threads(n_threads, share), strict=True)
    return (np.array(loss), np.array(n_tr, np.int64), np.array(n_ex, np.int64),
            np.array(n_eff, np.int64))


def _hs_pass(w, plan, t, opt, c_begin, c_end, word_offset, seed, chunk_base, n_threads,
             max_len):
    """:func:`train_chunks` as a Numba ``prange`` over the threads, for
    hierarchical softmax with several threads: there Python threads trained
    skip-gram 13 % slower (6 alternating runs; not explained), where with
    negative sampling they were 8 % faster and compile 3.5 s sooner.
    Returns per-thread (sampled loss, sampled examples, examples, effective
    words)."""
    n_hot = min(HOT_ROWS, w.syn1.shape[0])
    tokens, starts, tags, chunk_starts, order, offsets = plan
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
            cl, nt, ne, nw = TRAIN_CHUNK(w, tokens, starts, tags, chunk_starts[c],
                                         chunk_starts[c + 1], t, opt, offset, seed,
                                         chunk_base + c, max_len, n_hot)
            losses[th] += cl
            tracked[th] += nt
            examples[th] += ne
            effective[th] += nw
    return losses, tracked, examples, effective


_PASS = {}  # mode -> compiled prange pass (hierarchical softmax, several threads)


def hs_pass(chunk):
    """The compiled :func:`_hs_pass` around the chunk kernel ``chunk`` of a
    hierarchical-softmax mode (:func:`~skembed.word2vec.kernels.chunk_kernel`)."""
    mode = chunk.py_func.__name__[len("train_chunk_"):]
    if mode not in _PASS:
        _PASS[mode] = njit(nogil=True, fastmath=True, cache=True, parallel=True)(
            variant(_hs_pass, f"hs_pass_{mode}", TRAIN_CHUNK=chunk))
    return _PASS[mode]
