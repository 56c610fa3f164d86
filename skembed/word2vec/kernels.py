"""The word2vec chunk kernel: skip-gram and CBOW, each with negative
sampling and/or hierarchical softmax, plain or with subwords, over one chunk
of sentences.

Plain arrays in, plain arrays out; no scikit-learn here.  The corpus is one
int32 array of key indices cut into sentences (``starts``); a chunk is a run
of sentences of about 10,000 tokens with its own random stream
(:mod:`~skembed.word2vec.rng`), trained by one call.  Its arguments come in
named bundles (:data:`Weights`, :data:`Tables`, :data:`Options`; the kernel
allocates its :data:`Scratch`).  One source compiles into a variant per
training mode (:func:`chunk_kernel`).  The output layer is in
:mod:`~skembed.word2vec.output_layer`, prefetching and hot rows in
:mod:`~skembed.word2vec.memory`, the subword path in
:mod:`~skembed.word2vec.subword_kernel`; how an epoch is cut into chunks and
shared among threads in :mod:`~skembed.word2vec.chunks` and
:mod:`~skembed.word2vec.passes`.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from .._variants import inner, variant
from .memory import HOT_SYNC, load_hot, prefetch_row, sync_hot
from .output_layer import LOSS_SAMPLE_MASK, clip_step, output_layer
from .rng import GOLDEN, draw_negatives, mix64, next_random, random_below, random_uniform
from .subword_kernel import subword_sentence

# Compile-time switches, bound per compiled variant by variant (see
# chunk_kernel): code behind a switch that is off is pruned by Numba before
# it is typed, so a variant compiles only its own training mode.  Here, in
# the module's own namespace, everything is on (the generic kernel).
SG_CODE = True
HS_CODE = True
NS_CODE = True
SUBWORDS_CODE = True
PER_TARGET_CODE = True  # negatives drawn once per target word (CBOW; skip-gram if shared)
# Paragraph vectors (doc2vec, Le & Mikolov 2014): the document vector of each
# sentence, ``w.docvecs[tags[s]]``, is one more input.  PV-DBOW is skip-gram's
# path with the document vector predicting each word (and the window's word
# pairs too when WORDS_CODE: gensim's ``dbow_words``); PV-DM is CBOW's path
# with the document vector added to the context, or (CONCAT_CODE) the input
# the concatenation of the document vector and the window's word vectors
# (padded at the sentence ends with the last row of ``syn0``).  INFER_CODE
# compiles inference: words and output layer frozen, only the document
# vectors learn, each sentence (one document) trained ``opt.infer_epochs``
# times in a row on a random stream of its own (seeded by its words), so a
# document's vector depends on nothing else in the batch.  These are off in
# the module's namespace (the generic kernel is word2vec's).
DOCS_CODE = False
WORDS_CODE = True  # the window's words are inputs (off: pure PV-DBOW)
CONCAT_CODE = False
INFER_CODE = False


# The kernels take their many same-typed arguments in named bundles, so a
# swapped argument is a wrong field name (an error), never a silent mix-up.
# ``lockf[row]`` scales every update of input row ``row`` (1: free, 0: frozen;
# gensim's ``vectors_lockf``): pretrained rows can be fine-tuned gently or kept.
# With subwords (fastText), ``ngrams`` is the table of hashed character
# n-grams and ``sub_ids[sub_indptr[w]:sub_indptr[w + 1]]`` the n-gram rows of
# key ``w``; without, ``ngrams`` has no rows and every key none.  ``docvecs``:
# the document vectors of doc2vec (no rows for word2vec); with PV-DM's
# concatenated input, the output layers are ``(1 + 2 * window) * dim`` wide.
Weights = namedtuple("Weights", ["syn0", "syn1", "syn1neg", "lockf", "ngrams", "sub_indptr",
                                 "sub_ids", "docvecs"])
Tables = namedtuple("Tables", ["keep_prob", "threshold", "alias", "codes", "points",
                               "code_lens"])
# ``infer_epochs``: inference's passes over each document (0 when training)
Options = namedtuple("Options", ["sg", "hs", "negative", "cbow_mean", "window",
                                 "shrink_windows", "shared_negatives", "alpha_start",
                                 "alpha_end", "schedule_words", "locked", "subwords",
                                 "infer_epochs"])
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
            state, z = next_random(state)
            if random_uniform(z) >= kp:
                continue
        buf[n] = w
        n += 1
    return n, state


# Bound per compiled variant by chunk_kernel (the output layer of its mode).
OUTPUT_LAYER = None
SUBWORD_SENTENCE = subword_sentence


def _train_chunk(w, tokens, starts, tags, s_begin, s_end, t, opt, word_offset, seed,
                 chunk_id, max_len, n_hot):
    """Train sentences ``s_begin..s_end`` of the corpus.

    ``w``: the weights (:data:`Weights`); ``t``: sampling tables and Huffman
    codes (:data:`Tables`); ``opt``: the training options (:data:`Options`);
    ``tags``: the row of ``w.docvecs`` of each sentence (doc2vec; empty
    otherwise); ``max_len`` and ``n_hot`` size its scratch (below).

    With shared negatives (skip-gram only; the compiled variant follows
    ``opt.shared_negatives``, see :func:`chunk_kernel`; the subword path reads
    the option itself), the negative samples are drawn once per target word
    and shared by all its context words (as in Ji et al.'s HogBatch): the few
    output rows involved stay in cache.

    The learning rate decays linearly from ``alpha_start`` to ``alpha_end``
    with the position ``word_offset + tokens index`` over ``schedule_words``
    (``word_offset`` may be virtual: the chunk's place in the training order).
    Inference (``INFER_CODE``) instead trains each sentence
    ``opt.infer_epochs`` times, the rate falling from ``alpha_start`` to
    ``alpha_end`` over them (gensim's ``infer_vector``).

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
    state = mix64(mix64(np.uint64(seed) ^ (np.uint64(chunk_id) * GOLDEN)))
    scr = NEW_SCRATCH(w.syn0.shape[1], w.syn1neg.shape[1], t, opt, max_len, n_hot)
    syn1 = w.syn1
    hot1_lo = syn1.shape[0] - scr.hot1.shape[0]
    if HS_CODE:
        load_hot(syn1, hot1_lo, scr.hot1, scr.base1)
    negative = opt.negative
    window = opt.window
    buf = scr.buf
    negs = scr.negs
    loss = 0.0
    n_examples = 0
    n_tracked = 0
    n_effective = 0
    alpha_span = opt.alpha_start - opt.alpha_end
    doc = 0
    pad = w.syn0.shape[0] - 1  # PV-DM concatenated: the padding row
    n_rep = 1
    doc_seed = np.uint64(0)
    for s in range(s_begin, s_end):
        if DOCS_CODE:
            doc = tags[s]
        if INFER_CODE:
            n_rep = opt.infer_epochs
            doc_seed = np.uint64(seed)
            for p in range(starts[s], starts[s + 1]):
                doc_seed = mix64(doc_seed ^ np.uint64(tokens[p] + 1))
        for rep in range(n_rep):
            if INFER_CODE:
                state = mix64(doc_seed + np.uint64(rep + 1) * GOLDEN)
                last = n_rep - 1 if n_rep > 1 else 1
                alpha = np.float32(opt.alpha_start - alpha_span * rep / last)
            else:
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
                state = draw_negatives(negs[0], buf[0], t.threshold, t.alias, state)
            for i in range(n):
                if HS_CODE and hot1_lo < syn1.shape[0]:
                    if ((n_effective - n + i) & (HOT_SYNC - 1)) == HOT_SYNC - 1:
                        sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
                cur = negs[i & 1]
                if i + 1 < n:
                    if PER_TARGET_CODE:
                        ahead = negs[(i + 1) & 1]
                        state = draw_negatives(ahead, buf[i + 1], t.threshold, t.alias, state)
                        prefetch_row(w.syn1neg, np.int64(buf[i + 1]))
                        for d in range(negative):
                            if ahead[d] >= 0:
                                prefetch_row(w.syn1neg, np.int64(ahead[d]))
                    if WORDS_CODE and i + window + 1 < n:  # the word entering the next window
                        prefetch_row(w.syn0, np.int64(buf[i + window + 1]))
                b = 0
                if WORDS_CODE and opt.shrink_windows:
                    state, z = next_random(state)
                    b = random_below(z, window)
                lo = i - window + b if i - window + b > 0 else 0
                hi = i + window + 1 - b if i + window + 1 - b < n else n
                if SG_CODE:
                    target = buf[i]
                    work = scr.work
                    syn0 = w.syn0
                    dim = syn0.shape[1]
                    ex_loss = 0.0
                    tracked = 0
                    if WORDS_CODE:
                        for j in range(lo, hi):
                            if j == i:
                                continue
                            ctx = buf[j]
                            for k in range(dim):
                                work[k] = 0.0
                            if NS_CODE and not PER_TARGET_CODE:
                                state = draw_negatives(cur, target, t.threshold, t.alias, state)
                            track = (n_examples & LOSS_SAMPLE_MASK) == 0
                            ex_loss += OUTPUT_LAYER(syn0[ctx], target, alpha, work, syn1,
                                                    w.syn1neg, opt.hs, negative, t.codes,
                                                    t.points, t.code_lens, cur, scr.fbuf, track,
                                                    scr.hot1, hot1_lo)
                            tracked += track
                            n_examples += 1
                            if opt.locked:
                                lock = w.lockf[ctx]
                                for k in range(dim):
                                    syn0[ctx, k] += lock * clip_step(work[k])
                            else:
                                for k in range(dim):
                                    syn0[ctx, k] += clip_step(work[k])
                    if DOCS_CODE:  # PV-DBOW: the document vector predicts the word
                        docvecs = w.docvecs
                        for k in range(dim):
                            work[k] = 0.0
                        if NS_CODE and not PER_TARGET_CODE:
                            state = draw_negatives(cur, target, t.threshold, t.alias, state)
                        track = (n_examples & LOSS_SAMPLE_MASK) == 0
                        ex_loss += OUTPUT_LAYER(docvecs[doc], target, alpha, work, syn1,
                                                w.syn1neg, opt.hs, negative, t.codes, t.points,
                                                t.code_lens, cur, scr.fbuf, track, scr.hot1,
                                                hot1_lo)
                        tracked += track
                        n_examples += 1
                        for k in range(dim):
                            docvecs[doc, k] += clip_step(work[k])
                    loss += ex_loss
                    n_tracked += tracked
                else:
                    count = hi - lo - 1
                    if DOCS_CODE:
                        count += 1  # the document vector
                    if count <= 0:
                        continue
                    target = buf[i]
                    work = scr.work
                    neu1 = scr.neu1
                    syn0 = w.syn0
                    docvecs = w.docvecs
                    dim = syn0.shape[1]
                    if CONCAT_CODE:  # document vector, then the window's words in order
                        for k in range(neu1.shape[0]):
                            work[k] = 0.0
                        for k in range(dim):
                            neu1[k] = docvecs[doc, k]
                        at = dim
                        for j in range(i - window, i + window + 1):
                            if j == i:
                                continue
                            ctx = buf[j] if j >= 0 and j < n else pad
                            for k in range(dim):
                                neu1[at + k] = syn0[ctx, k]
                            at += dim
                    else:
                        for k in range(dim):
                            neu1[k] = 0.0
                            work[k] = 0.0
                        for j in range(lo, hi):
                            if j == i:
                                continue
                            ctx = buf[j]
                            for k in range(dim):
                                neu1[k] += syn0[ctx, k]
                        if DOCS_CODE:
                            for k in range(dim):
                                neu1[k] += docvecs[doc, k]
                        if opt.cbow_mean:
                            inv = np.float32(1.0) / np.float32(count)
                            for k in range(dim):
                                neu1[k] *= inv
                    track = (n_examples & LOSS_SAMPLE_MASK) == 0
                    loss += OUTPUT_LAYER(neu1, target, alpha, work, syn1, w.syn1neg, opt.hs,
                                         negative, t.codes, t.points, t.code_lens, cur,
                                         scr.fbuf, track, scr.hot1, hot1_lo)
                    n_tracked += track
                    n_examples += 1
                    if DOCS_CODE:
                        for k in range(dim):
                            docvecs[doc, k] += clip_step(work[k])
                    if CONCAT_CODE and not INFER_CODE:
                        at = dim
                        for j in range(i - window, i + window + 1):
                            if j == i:
                                continue
                            ctx = buf[j] if j >= 0 and j < n else pad
                            lock = w.lockf[ctx] if opt.locked else np.float32(1.0)
                            for k in range(dim):
                                syn0[ctx, k] += lock * clip_step(work[at + k])
                            at += dim
                    elif not INFER_CODE:
                        for j in range(lo, hi):
                            if j == i:
                                continue
                            ctx = buf[j]
                            if opt.locked:
                                lock = w.lockf[ctx]
                                for k in range(dim):
                                    syn0[ctx, k] += lock * clip_step(work[k])
                            else:
                                for k in range(dim):
                                    syn0[ctx, k] += clip_step(work[k])
    if HS_CODE:
        sync_hot(syn1, hot1_lo, scr.hot1, scr.base1)
    return loss, n_tracked, n_examples, n_effective


def new_scratch(dim, width, t, opt, max_len, n_hot):
    """A chunk's scratch (:data:`Scratch`), ``n_hot`` rows of hot copies;
    ``dim`` is the input vectors' width, ``width`` the output layer's (``dim``,
    but for PV-DM concatenated).  (Shapes, not the weights: the inference
    variant's read-only weights would compile it a second time.)

    Each array is padded by 128 bytes on both sides: small allocations of
    different threads can otherwise share a cache line, and the cores then
    fight over it on every write (this made identical 2-thread fits take
    either 3 s or 7 s, by allocator luck).
    """
    # (conditional expressions, not min/max: those compile per signature)
    n_neg = opt.negative if opt.negative > 1 else 1
    n_f = opt.negative + 1 if opt.negative + 1 > t.codes.shape[1] else t.codes.shape[1]
    n_slots = 0
    if opt.subwords:
        n_slots = 2 * opt.window + 2 if 2 * opt.window + 2 < max_len + 1 else max_len + 1
    return Scratch(
        np.empty(max_len + 64, np.int32)[32:32 + max_len],
        np.empty(width + 64, np.float32)[32:32 + width],
        np.empty(width + 64, np.float32)[32:32 + width],
        np.empty(2 * n_neg + 32, np.int64)[16:16 + 2 * n_neg].reshape((2, n_neg)),
        np.empty(n_f + 64, np.float32)[32:32 + n_f],
        np.empty((n_hot, width), np.float32),
        np.empty((n_hot, width), np.float32),
        np.empty((n_slots, dim), np.float32),
        np.empty((n_slots, dim), np.float32),
        np.empty(n_slots, np.int64),
    )


NEW_SCRATCH = inner(fastmath=True)(new_scratch)


_CHUNK = {}  # mode -> compiled chunk kernel


def chunk_kernel(sg, hs, negative, subwords, shared=False, documents=False, words=True,
                 concat=False, infer=False):
    """The compiled chunk kernel (:func:`_train_chunk`) of one training mode.

    One source, a compilation per mode, each on first use only: skip-gram
    or CBOW, with hierarchical softmax and/or negative sampling, skip-gram's
    negatives drawn per context word or ``shared`` by the contexts of a
    target, plain word2vec or with subwords (one variant: that path is
    generic over the modes).  The code of the other modes is pruned before
    it is typed, so a first fit compiles a fraction of the kernel.

    ``documents``: paragraph vectors (doc2vec) on skip-gram's path (PV-DBOW;
    ``words``: with the window's word pairs) or CBOW's (PV-DM; ``concat``:
    concatenated input); ``infer``: the inference variant (only document
    vectors learn).
    """
    if subwords:
        mode = "subwords"
        switches = dict(SG_CODE=True, HS_CODE=True, NS_CODE=True, SUBWORDS_CODE=True,
                        PER_TARGET_CODE=True)
    else:
        hs, ns = bool(hs), negative > 0
        documents = bool(documents)
        words = not (documents and sg and (infer or not words))
        concat = bool(documents and concat and not sg)
        infer = bool(documents and infer)
        shared = bool(sg and ns and shared and words)
        kind = ("sg" if sg else "cbow") if not documents else (
            ("dbow" + ("_words" if words else "")) if sg else ("dm_concat" if concat else "dm"))
        mode = (kind + ("_hs" if hs else "") + ("_ns" if ns else "")
                + ("_shared" if shared else "") + ("_infer" if infer else ""))
        switches = dict(SG_CODE=bool(sg), HS_CODE=hs, NS_CODE=ns, SUBWORDS_CODE=False,
                        PER_TARGET_CODE=ns and (shared or not sg or not words),
                        DOCS_CODE=documents, WORDS_CODE=words, CONCAT_CODE=concat,
                        INFER_CODE=infer, LEARN_OUTPUT=not infer)
    if mode not in _CHUNK:
        output = njit(inline="always")(
            variant(output_layer, f"_output_layer_{mode}", **switches))
        _CHUNK[mode] = njit(nogil=True, fastmath=True, cache=True, error_model="numpy")(
            variant(_train_chunk, f"train_chunk_{mode}", OUTPUT_LAYER=output, **switches))
    return _CHUNK[mode]
