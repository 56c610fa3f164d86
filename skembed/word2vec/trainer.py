"""Training driver: the one fit path (:func:`fit_corpus`: count, vocabulary,
encode, train) and the epochs over threads (:func:`train`: learning-rate
schedule, chunks, progress).

Shared by every estimator that learns word2vec-style embeddings (words,
items, documents); it takes a corpus or an
:class:`~skembed.word2vec.vocab.EncodedCorpus` and the vocabulary counts and
knows nothing of scikit-learn.  The hyper-parameters are in
:mod:`~skembed.word2vec.config`, the learned tables in
:mod:`~skembed.word2vec.state`, the kernel's bundles built from them in
:mod:`~skembed.word2vec.bundles`, doc2vec inference in
:mod:`~skembed.word2vec.inference`.
"""

import collections
import time
import warnings

import numpy as np
from numba.core import event as numba_event

from .._threads import prange_threads
from . import kernels, passes
from .bundles import kernel_options, kernel_tables, kernel_weights
from .chunks import CHUNK_WORDS, aligned_pieces, chunk_boundaries, stripe_order
from .state import add_documents, grow_state, init_state
from .subwords import ngram_buckets
from .vocab import (
    MAX_SENTENCE_LEN,
    EncodedCorpus,
    extend_vocab,
    finalize_vocab,
    update_vocab,
)


class EmptyCorpusError(ValueError):
    """The corpus holds no key at all (``n_sequences`` sequences, all empty)."""

    def __init__(self, n_sequences):
        super().__init__(f"all {n_sequences} sequences are empty")
        self.n_sequences = n_sequences


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
    tables = kernel_tables(counts, config)
    n_words = int(words_per_epoch)
    options = kernel_options(config, state, alpha_start, alpha_end,
                       schedule_words=float(max(n_words * config.epochs, 1)))
    documents = bool(config.doc_vectors)
    if documents:
        if doc_rows is None or state.docvecs is None:
            raise ValueError("document vectors need doc_rows and state.docvecs")
        state.trained_docs = np.zeros(len(state.docvecs), bool)
    weights = kernel_weights(state)
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
        per row (:func:`~skembed.word2vec.state.add_documents`).

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
