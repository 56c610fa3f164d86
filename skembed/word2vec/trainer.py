"""Training driver: weights, epochs, threads, learning-rate schedule, progress.

Shared by every estimator that learns word2vec-style embeddings (words,
items); it takes an :class:`~skembed.word2vec.vocab.EncodedCorpus` and the
vocabulary counts and knows nothing of scikit-learn.
"""

import collections
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from numba.core import event as numba_event

from .._threads import prange_threads
from . import kernels, passes
from .chunks import CHUNK_WORDS, aligned_pieces, chunk_boundaries, stripe_order
from .sampling import huffman_tree, negative_sampling_table
from .subwords import ngram_buckets
from .vocab import (
    MAX_SENTENCE_LEN,
    EncodedCorpus,
    extend_vocab,
    finalize_vocab,
    keep_probabilities,
    update_vocab,
)


class EmptyCorpusError(ValueError):
    """The corpus holds no key at all (``n_sequences`` sequences, all empty)."""

    def __init__(self, n_sequences):
        super().__init__(f"all {n_sequences} sequences are empty")
        self.n_sequences = n_sequences


@dataclass
class Word2VecConfig:
    """Hyper-parameters of the engine.

    The estimators validate each parameter on its own (scikit-learn's
    ``_parameter_constraints``); :meth:`from_params` checks the rules that
    tie several together.
    """

    vector_size: int = 100
    window: int = 5
    sg: bool = False
    hs: bool = False
    negative: int = 5
    ns_exponent: float = 0.75
    cbow_mean: bool = True
    sample: float = 1e-3
    alpha: float = 0.025
    min_alpha: float = 1e-4
    epochs: int = 5
    shrink_windows: bool = True
    # skip-gram: one set of negatives per target word, shared by its contexts
    shared_negatives: bool = False
    # fastText subwords: character n-grams of min_n..max_n characters hashed
    # into bucket rows (off when max_n == 0)
    min_n: int = 3
    max_n: int = 0
    bucket: int = 2_000_000
    # paragraph vectors (doc2vec): a vector per document tag, trained with the
    # words (skip-gram's path: PV-DBOW, the window's word pairs too with
    # ``dbow_words``; CBOW's: PV-DM, its input concatenated with ``dm_concat``)
    doc_vectors: bool = False
    dbow_words: bool = False
    dm_concat: bool = False

    @property
    def subwords(self):
        return self.max_n > 0

    @property
    def layer_width(self):
        """Width of the output layers: the input's (``vector_size``; PV-DM
        concatenated: the document vector and ``2 * window`` word vectors)."""
        if self.doc_vectors and self.dm_concat and not self.sg:
            return (1 + 2 * self.window) * self.vector_size
        return self.vector_size

    @classmethod
    def from_params(cls, params, **overrides):
        """Config from an estimator's (validated) parameters, plus the rules
        between them: an output layer must exist and ``min_alpha <= alpha``.

        ``params`` is a mapping with at least the fields of this class
        (``get_params()`` of a word2vec-style estimator); ``overrides``
        replace some (e.g. a resolved ``window="all"``).
        """
        values = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        values.update(overrides)
        if values.get("alpha", 0.025) is None:  # the C tool's rates: CBOW 0.05, skip-gram 0.025
            values["alpha"] = 0.025 if values.get("sg", False) else 0.05
        config = cls(**values)
        config.sg, config.hs = bool(config.sg), bool(config.hs)
        config.cbow_mean = bool(config.cbow_mean)
        config.shrink_windows = bool(config.shrink_windows)
        config.shared_negatives = bool(config.shared_negatives)
        for name in ("doc_vectors", "dbow_words", "dm_concat"):
            setattr(config, name, bool(getattr(config, name)))
        if config.doc_vectors and config.dm_concat and not config.sg:
            config.shrink_windows = False  # every window position has its own slot
        for name in ("vector_size", "window", "negative", "epochs", "min_n", "max_n", "bucket"):
            setattr(config, name, int(getattr(config, name)))
        for name in ("ns_exponent", "sample", "alpha", "min_alpha"):
            setattr(config, name, float(getattr(config, name)))
        if not config.hs and config.negative == 0:
            raise ValueError(
                "hs=False with negative=0 leaves no output layer to train: "
                "set negative > 0 (negative sampling) or hs=True (hierarchical softmax)")
        if config.max_n > 0 and not 1 <= config.min_n <= config.max_n:
            raise ValueError(f"subwords need 1 <= min_n <= max_n, got min_n={config.min_n}, "
                             f"max_n={config.max_n} (max_n=0 switches them off)")
        if config.min_alpha > config.alpha:
            raise ValueError(f"min_alpha={config.min_alpha} must not exceed "
                             f"alpha={config.alpha}")
        return config


@dataclass
class Word2VecState:
    """Learned tables: input vectors and the two possible output layers."""

    syn0: np.ndarray
    syn1: np.ndarray
    syn1neg: np.ndarray
    # update factor of each input row (1 free, 0 frozen)
    lockf: np.ndarray = None
    # subwords: the n-gram table and each key's n-gram rows (CSR)
    ngrams: np.ndarray = None
    sub_indptr: np.ndarray = None
    sub_ids: np.ndarray = None
    # doc2vec: a vector per document tag, and which tags had any known word
    docvecs: np.ndarray = None
    trained_docs: np.ndarray = None
    loss_history: list = field(default_factory=list)
    effective_words: list = field(default_factory=list)
    examples: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def _uniform_rows(n_rows, vector_size, rng):
    """Rows uniform in [-1, 1) / dim for a large table (the n-gram buckets),
    drawn in float32 by a generator seeded from ``rng`` (3-4x faster than
    float64 draws, and no float64 temporary)."""
    gen = np.random.default_rng(int(rng.randint(np.iinfo(np.int32).max)))
    out = gen.random((n_rows, vector_size), dtype=np.float32)
    out *= np.float32(2.0)
    out -= np.float32(1.0)
    out /= np.float32(vector_size)
    return out


def init_state(n_keys, vector_size, rng, bucket=0):
    """Input vectors uniform in [-1, 1) / dim (as gensim 4; the C tool uses half that
    range, which measurably hurts on small data such as short sessions); outputs zero.
    ``bucket`` > 0 adds an n-gram table initialised the same way (subwords)."""
    syn0 = rng.random_sample((n_keys, vector_size)).astype(np.float32)
    syn0 = syn0 * np.float32(2.0) - np.float32(1.0)
    syn0 /= np.float32(vector_size)
    return Word2VecState(
        syn0=np.ascontiguousarray(syn0),
        syn1=np.zeros((max(n_keys - 1, 1), vector_size), np.float32),
        syn1neg=np.zeros((n_keys, vector_size), np.float32),
        lockf=np.ones(n_keys, np.float32),
        ngrams=(_uniform_rows(bucket, vector_size, rng) if bucket
                else np.zeros((0, vector_size), np.float32)),
        sub_indptr=np.zeros(n_keys + 1, np.int64),
        sub_ids=np.zeros(0, np.int64),
    )


def add_documents(state, n_tags, config, rng):
    """Give ``state`` (new) a document vector per tag, uniform in
    [-1, 1) / dim as the word vectors; for PV-DM with a concatenated input,
    a padding row after the words (the context beyond a sentence's ends,
    gensim's null word) and output layers as wide as that input."""
    docvecs = rng.random_sample((n_tags, config.vector_size)).astype(np.float32)
    docvecs = docvecs * np.float32(2.0) - np.float32(1.0)
    docvecs /= np.float32(config.vector_size)
    state.docvecs = np.ascontiguousarray(docvecs)
    width = config.layer_width
    if width != config.vector_size:
        pad = init_state(1, config.vector_size, rng).syn0
        state.syn0 = np.ascontiguousarray(np.vstack([state.syn0, pad]))
        state.lockf = np.append(state.lockf, np.float32(1.0))
        state.syn1 = np.zeros((state.syn1.shape[0], width), np.float32)
        state.syn1neg = np.zeros((state.syn1neg.shape[0], width), np.float32)
    return state


def grow_state(state, n_new, rng):
    """Append rows for ``n_new`` new keys (random inputs, zero outputs)."""
    if n_new <= 0:
        return state
    n_keys, dim = state.syn0.shape
    fresh = init_state(n_new + 1, dim, rng)
    state.syn0 = np.ascontiguousarray(np.vstack([state.syn0, fresh.syn0[:n_new]]))
    state.syn1neg = np.ascontiguousarray(
        np.vstack([state.syn1neg, np.zeros((n_new, dim), np.float32)]))
    state.lockf = np.concatenate([state.lockf, np.ones(n_new, np.float32)])
    state.sub_indptr = np.concatenate(
        [state.sub_indptr, np.full(n_new, state.sub_indptr[-1], np.int64)])
    n_inner = max(n_keys + n_new - 1, 1)
    syn1 = np.zeros((n_inner, dim), np.float32)
    syn1[: state.syn1.shape[0]] = state.syn1
    state.syn1 = syn1
    return state


def _progress_bar(total, verbose):
    if verbose <= 0:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="word", unit_scale=True, desc="word2vec", leave=False)


def _log(msg, bar):
    if bar is not None:
        bar.write(msg)
    else:
        print(msg, flush=True)


def _output_tables(counts, config):
    keep = keep_probabilities(counts, config.sample)
    threshold, alias = negative_sampling_table(counts, config.ns_exponent)
    if config.hs:
        codes, points, code_lens = huffman_tree(np.asarray(counts, dtype=np.int64))
    else:
        codes = np.zeros((1, 1), np.uint8)
        points = np.zeros((1, 1), np.int32)
        code_lens = np.zeros(1, np.int32)
    return keep, threshold, alias, codes, points, code_lens


def train(corpus, counts, config, state, rng, n_threads=1, verbose=0,
          alpha_start=None, alpha_end=None, words_per_epoch=None, raw_words_per_epoch=None,
          doc_rows=None):
    """Run ``config.epochs`` epochs over ``corpus``, updating ``state`` in place.

    Parameters
    ----------
    corpus : EncodedCorpus or corpus
        The whole encoded corpus in memory, or a corpus of
        :mod:`~skembed.word2vec.corpus` whose ``pieces(epoch)`` yields
        EncodedCorpus pieces (streamed training: memory holds one piece at a
        time).
    counts : ndarray of int64, counts of the vocabulary keys (sorted).
    config : Word2VecConfig
    state : Word2VecState
    rng : numpy.random.RandomState, source of the per-epoch seeds.
    n_threads : int
    verbose : int
    alpha_start, alpha_end : float, optional
        Learning-rate range of this call (default ``config.alpha`` ->
        ``config.min_alpha``), decayed linearly over all epochs.
    words_per_epoch, raw_words_per_epoch : int, optional
        Known (in-vocabulary) and raw tokens per epoch; required with a
        corpus object, since they set the learning-rate schedule.
    doc_rows : ndarray of int64, optional
        Doc2vec (``config.doc_vectors``): the row of ``state.docvecs`` of each
        document of the corpus (several documents may share one);
        ``state.trained_docs`` marks the rows of documents with a known word.

    Returns
    -------
    state : Word2VecState (the same object), ``loss_history`` extended with
    the mean loss per training example of each epoch and ``effective_words``
    with the number of words kept by subsampling in each epoch.
    """
    if isinstance(corpus, EncodedCorpus):
        whole = corpus

        def pieces(epoch):
            return (whole,)

        words_per_epoch = int(whole.starts[-1])
        raw_words_per_epoch = whole.raw_words
    else:
        pieces = corpus.pieces
    # the published vectors may share these tables read-only (copy on write:
    # what a caller holds never changes under them)
    for name in ("syn0", "ngrams"):
        table = getattr(state, name)
        if table is not None and not table.flags.writeable:
            setattr(state, name, table.copy())
    if words_per_epoch is None:
        raise ValueError("words_per_epoch is required with a streamed corpus")
    raw_words_per_epoch = raw_words_per_epoch or words_per_epoch
    alpha_start = config.alpha if alpha_start is None else alpha_start
    alpha_end = config.min_alpha if alpha_end is None else alpha_end
    tables = kernels.Tables(*_output_tables(counts, config))
    n_words = int(words_per_epoch)
    options = _options(config, state, alpha_start, alpha_end,
                       schedule_words=float(max(n_words * config.epochs, 1)))
    documents = bool(config.doc_vectors)
    if documents:
        if doc_rows is None or state.docvecs is None:
            raise ValueError("document vectors need doc_rows and state.docvecs")
        state.trained_docs = np.zeros(len(state.docvecs), bool)
    weights = _weights(state)
    chunk = kernels.chunk_kernel(options.sg, options.hs, options.negative, options.subwords,
                                 options.shared_negatives, documents, config.dbow_words,
                                 config.dm_concat)
    hs_pass = None  # hierarchical softmax with several threads: a prange pass
    if n_threads > 1 and options.hs and not options.subwords:
        hs_pass = passes.hs_pass(chunk)
    no_tags = np.zeros(0, np.int64)
    bar = _progress_bar(n_words * config.epochs, verbose)
    # Numba compiles a kernel on its first call (cold cache): timed apart, so that
    # the first epoch's speed is the training's
    compiling = numba_event.TimingListener()
    numba_event.register("numba:compile", compiling)
    t_start = time.perf_counter()
    try:
        for epoch in range(config.epochs):
            epoch_seed = int(rng.randint(0, 2**31 - 1))
            t_epoch = time.perf_counter()
            compiled_before = _seconds(compiling)
            loss = 0.0
            n_examples = 0
            n_tracked = 0
            n_effective = 0
            # distinct random streams per (epoch, chunk of the epoch)
            seed = (epoch_seed * 2654435761) % (2**63)
            chunk_base = 0  # chunks of this epoch in earlier pieces
            tag_queue = collections.deque()  # doc2vec: tags of the pieces read so far
            source = pieces(epoch)
            if documents:
                source = _tagged(source, doc_rows, tag_queue)
            for piece, offset in aligned_pieces(source):
                # offset: known words of this epoch before the piece
                tags = no_tags
                if documents:
                    tags = _take(tag_queue, piece.n_rows)
                    if epoch == 0:
                        state.trained_docs[tags] = True
                chunk_starts = chunk_boundaries(piece.starts, CHUNK_WORDS, offset)
                order, offsets = stripe_order(piece.starts, chunk_starts, n_threads)
                plan = passes.Plan(piece.ids, piece.starts, tags, chunk_starts, order, offsets)
                n_rows = len(order) // n_threads
                max_len = max(min(int(np.max(np.diff(piece.starts))), MAX_SENTENCE_LEN), 1)
                # a few calls per piece when reporting progress, one otherwise
                n_steps = min(n_rows, 20) if verbose > 0 else 1
                step_bounds = np.linspace(0, n_rows, n_steps + 1).astype(np.int64) * n_threads
                for step in range(n_steps):
                    c0, c1 = int(step_bounds[step]), int(step_bounds[step + 1])
                    if c1 <= c0:
                        continue
                    args = (weights, plan, tables, options, c0, c1,
                            float(epoch * n_words + offset), seed, chunk_base, n_threads,
                            max_len)
                    if hs_pass is not None:
                        with prange_threads(n_threads):
                            losses, tracked, examples, effective = hs_pass(*args)
                    else:
                        losses, tracked, examples, effective = passes.train_chunks(
                            chunk, *args)
                    loss += float(losses.sum())
                    n_tracked += int(tracked.sum())
                    n_examples += int(examples.sum())
                    n_effective += int(effective.sum())
                    if bar is not None:
                        done_chunks = order[c0:c1][order[c0:c1] >= 0]
                        done = int(np.sum(piece.starts[chunk_starts[done_chunks + 1]]
                                          - piece.starts[chunk_starts[done_chunks]]))
                        bar.set_postfix(epoch=epoch + 1,
                                        loss=f"{loss / max(n_tracked, 1):.4f}", refresh=False)
                        bar.update(done)
                chunk_base += len(chunk_starts) - 1
            mean_loss = loss / max(n_tracked, 1)  # estimated on a sample of examples
            state.loss_history.append(mean_loss)
            state.effective_words.append(n_effective)
            state.examples.append(n_examples)
            if verbose > 0:
                compiled = _seconds(compiling) - compiled_before
                dt = time.perf_counter() - t_epoch - compiled
                _log(
                    f"epoch {epoch + 1}/{config.epochs}: loss {mean_loss:.4f}, "
                    f"{raw_words_per_epoch / max(dt, 1e-9):,.0f} raw words/s "
                    f"({n_effective:,} effective words), "
                    f"elapsed {time.perf_counter() - t_start:.1f}s"
                    + (f" (of which {compiled:.1f}s compiling the training kernel, once: "
                       "cached on disk for later runs)" if compiled > 0 else ""),
                    bar,
                )
    finally:
        numba_event.unregister("numba:compile", compiling)
        if bar is not None:
            bar.close()
    compiled = _seconds(compiling)
    state.timings["compile"] = state.timings.get("compile", 0.0) + compiled
    state.timings["train"] = (state.timings.get("train", 0.0) + time.perf_counter() - t_start
                              - compiled)
    return state


def _options(config, state, alpha_start, alpha_end, schedule_words=1.0, infer_epochs=0):
    return kernels.Options(
        sg=bool(config.sg), hs=bool(config.hs), negative=int(config.negative),
        cbow_mean=bool(config.cbow_mean), window=int(config.window),
        shrink_windows=bool(config.shrink_windows),
        shared_negatives=bool(config.shared_negatives), alpha_start=float(alpha_start),
        alpha_end=float(alpha_end), schedule_words=float(schedule_words),
        locked=bool(np.any(state.lockf != 1.0)), subwords=bool(len(state.sub_ids)),
        infer_epochs=int(infer_epochs))


def _weights(state, docvecs=None):
    if docvecs is None:
        docvecs = state.docvecs
    if docvecs is None:
        docvecs = np.zeros((0, state.syn0.shape[1]), np.float32)
    return kernels.Weights(state.syn0, state.syn1, state.syn1neg, state.lockf, state.ngrams,
                           state.sub_indptr, state.sub_ids, docvecs)


def _tagged(pieces, doc_rows, queue):
    """``pieces`` unchanged, the document-vector row of each of their
    sentences appended to ``queue`` as each piece is read: a piece's
    sentences belong to its file (streamed files: one document per file) or
    to its documents, numbered on from the documents of earlier pieces."""
    first_document = 0
    for piece in pieces:
        if piece.file_index is not None:
            documents = np.full(piece.n_rows, piece.file_index, np.int64)
        else:
            documents = piece.doc_of_sentence + first_document
            first_document += piece.n_documents
        queue.append(doc_rows[documents])
        yield piece


def _take(queue, n):
    """The next ``n`` tags of ``queue`` (arrays in reading order): the pieces
    of :func:`~skembed.word2vec.chunks.aligned_pieces` are the input pieces'
    sentences in order, re-cut."""
    parts, needed = [], n
    while needed > 0:
        head = queue.popleft()
        if len(head) > needed:
            queue.appendleft(head[needed:])
            head = head[:needed]
        parts.append(head)
        needed -= len(head)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def infer_documents(documents, counts, config, state, seed, epochs, alpha, min_alpha,
                    n_threads=1):
    """Document vectors of new ``documents`` (doc2vec inference), trained by
    the chunk kernel's inference variant with everything else frozen.

    Each document is one sentence (never split: its vector must not be
    trained by two threads at once), starting from zero and trained
    ``epochs`` times in a row with the rate falling linearly from ``alpha``
    to ``min_alpha``, on a random stream seeded by ``seed`` and its words.
    A document's vector therefore depends on nothing else in the batch, nor
    on the number of threads.

    Parameters
    ----------
    documents : Ragged
        One row per document, vocabulary indices (negative: unknown, skipped).
    counts : ndarray of int64, the vocabulary's counts (sampling tables).
    config : Word2VecConfig, of the fit.
    state : Word2VecState, the fitted weights (not changed).
    seed : int
    epochs : int
    alpha, min_alpha : float
    n_threads : int

    Returns
    -------
    ndarray of float32, shape (n_documents, vector_size); zero rows for
    documents without a known word.
    """
    known = documents.known()
    out = np.zeros((known.n_rows, config.vector_size), np.float32)
    rows = np.flatnonzero(known.lengths)
    if len(rows) == 0:
        return out
    sentences = known.take(rows)
    tokens = np.ascontiguousarray(sentences.ids, np.int32)
    tables = kernels.Tables(*_output_tables(counts, config))
    options = _options(config, state, alpha, min_alpha, infer_epochs=epochs)
    chunk = kernels.chunk_kernel(options.sg, options.hs, options.negative, False,
                                 options.shared_negatives, True, config.dbow_words,
                                 config.dm_concat, infer=True)
    chunk_starts = chunk_boundaries(sentences.starts, max(CHUNK_WORDS // max(epochs, 1), 1))
    order, offsets = stripe_order(sentences.starts, chunk_starts, n_threads)
    plan = passes.Plan(tokens, sentences.starts, rows.astype(np.int64), chunk_starts, order,
                       offsets)
    max_len = max(int(np.max(sentences.lengths)), 1)
    passes.train_chunks(chunk, _weights(state, out), plan, tables, options, 0, len(order), 0.0,
                        int(seed), 0, n_threads, max_len)
    return out


def _seconds(listener):
    """Seconds a Numba ``TimingListener`` has measured so far."""
    return listener.duration if listener.done else 0.0


def fit_corpus(corpus, config, rng, *, min_count=5, max_vocab_size=None,
               max_final_vocab=None, vocab=None, state=None, init_vectors=None,
               lock_factor=1.0, n_threads=1, verbose=0, name="word2vec", check_keys=None,
               doc_rows=None):
    """Count, build the vocabulary, encode and train: the one fit path of
    every word2vec-style estimator.

    Parameters
    ----------
    corpus : corpus of :mod:`skembed.word2vec.corpus`
        Where the sequences come from (in memory, streamed files, ...).
    config : Word2VecConfig
    rng : numpy.random.RandomState
    min_count, max_vocab_size, max_final_vocab : int or None
        Vocabulary rules (see :func:`~skembed.word2vec.vocab.finalize_vocab`).
    vocab, state : Vocabulary and Word2VecState, optional
        Update mode (online training): the corpus's keys counted at least
        ``min_count`` times join ``vocab`` (appended, so known rows never
        move), the counts of known keys grow, ``state`` gets rows for the
        new keys, and training continues from it.
    init_vectors : KeyedVectors, optional
        Pretrained vectors (new vocabulary only).  The vocabulary is the
        union of the corpus vocabulary and the keys of ``init_vectors``
        (keys the corpus lacks are appended with count 0: they keep their
        pretrained vectors and are never drawn as negatives); every key of
        ``init_vectors`` starts from its vector.
    lock_factor : float in [0, 1], default=1.0
        Scale of the updates of the rows initialised from ``init_vectors``
        (0 frozen, 1 free), as gensim's ``vectors_lockf``.
    check_keys : callable, optional
        Called with the counted keys before anything is trained (input
        validation at O(vocabulary) cost).
    doc_rows : callable, optional
        Doc2vec (``config.doc_vectors``, new vocabulary only):
        ``doc_rows(n_documents)`` gives the document-vector row of each
        document of the corpus (called once counted); the state gets a vector
        per row (:func:`add_documents`).

    Returns
    -------
    vocab : Vocabulary
    state : Word2VecState, with ``timings["vocab"]``, ``timings["train"]`` and
        ``timings["compile"]`` (Numba compiling kernels during training, left out
        of ``train``) of this call.

    Raises
    ------
    ValueError
        If the corpus holds no key, or (new vocabulary) no key reaches
        ``min_count``.
    """
    t0 = time.perf_counter()
    counter, total, n_seq = corpus.count(max_vocab_size)
    if total == 0:
        raise EmptyCorpusError(n_seq)
    if check_keys is not None:
        check_keys(counter.keys())
    if vocab is None:
        vocab = finalize_vocab(counter, total, min_count, max_final_vocab)
        if len(vocab) == 0:
            raise ValueError(
                f"empty vocabulary: nothing occurs at least min_count={min_count} times "
                f"in {total} tokens; lower min_count or give more data")
        if init_vectors is not None:
            if init_vectors.vector_size != config.vector_size:
                raise ValueError(
                    f"init_vectors have {init_vectors.vector_size} dimensions but "
                    f"vector_size={config.vector_size}; they must match")
            vocab = extend_vocab(vocab, init_vectors.index_to_key)
        state = init_state(len(vocab), config.vector_size, rng,
                           bucket=config.bucket if config.subwords else 0)
        if init_vectors is not None:
            rows = np.fromiter((vocab.key_to_index[k] for k in init_vectors.index_to_key),
                               np.int64, count=len(init_vectors))
            state.syn0[rows] = init_vectors.vectors
            state.lockf[rows] = np.float32(lock_factor)
        if config.doc_vectors:
            doc_rows = np.asarray(doc_rows(n_seq), np.int64)
            add_documents(state, int(doc_rows.max()) + 1 if len(doc_rows) else 0, config, rng)
    else:
        if config.vector_size != state.syn0.shape[1]:
            raise ValueError(f"vector_size={config.vector_size} differs from the "
                             f"{state.syn0.shape[1]} of the fitted vectors; refit instead")
        vocab, n_new = update_vocab(vocab, counter, total, min_count)
        state = grow_state(state, n_new, rng)
    if config.subwords:
        if not all(isinstance(k, str) for k in vocab.keys):
            raise TypeError("subwords (max_n > 0) need string keys")
        state.sub_indptr, state.sub_ids = ngram_buckets(vocab.keys, config.min_n,
                                                        config.max_n, config.bucket)
    k2i = vocab.key_to_index
    known = sum(c for k, c in counter.items() if k in k2i)  # sets the schedule
    del counter
    corpus.encode(k2i)
    t_vocab = time.perf_counter() - t0
    if verbose:
        print(f"[{name}] {total:,} tokens in {n_seq:,} sequences, {len(vocab):,} kept "
              f"(min_count={vocab.min_count}); vocabulary {t_vocab:.1f}s", flush=True)
    state.timings["vocab"] = t_vocab
    state.timings.pop("train", None)
    state.timings.pop("compile", None)
    state.examples = []
    train(corpus, vocab.counts, config, state, rng, n_threads=n_threads, verbose=verbose,
          words_per_epoch=known, raw_words_per_epoch=total, doc_rows=doc_rows)
    if not any(state.examples):
        warnings.warn(
            f"[{name}] nothing was trained: no key ever had a context (every sequence "
            "holds a single known key, or subsampling left one), so the vectors are their "
            "random starting values; give sequences of two or more keys",
            UserWarning, stacklevel=3)
    if verbose:
        t, compiled = state.timings["train"], state.timings["compile"]
        print(f"[{name}] trained in {t:.1f}s ({total * config.epochs / max(t, 1e-9):,.0f} "
              "raw words/s)" + (f", after {compiled:.1f}s compiling kernels on first use"
                                if compiled > 0 else ""), flush=True)
    return vocab, state
