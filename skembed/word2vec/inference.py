"""Paragraph-vector inference: document vectors of new documents trained by
the chunk kernel's inference variant, every other weight frozen."""

import numpy as np

from . import kernels, passes
from .bundles import kernel_options, kernel_tables, kernel_weights
from .chunks import CHUNK_WORDS, chunk_boundaries, stripe_order


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
    tables = kernel_tables(counts, config)
    options = kernel_options(config, state, alpha, min_alpha, infer_epochs=epochs)
    chunk = kernels.chunk_kernel(options.sg, options.hs, options.negative, False,
                                 options.shared_negatives, True, config.dbow_words,
                                 config.dm_concat, infer=True)
    chunk_starts = chunk_boundaries(sentences.starts, max(CHUNK_WORDS // max(epochs, 1), 1))
    order, offsets = stripe_order(sentences.starts, chunk_starts, n_threads)
    plan = passes.Plan(tokens, sentences.starts, rows.astype(np.int64), chunk_starts, order,
                       offsets)
    max_len = max(int(np.max(sentences.lengths)), 1)
    passes.train_chunks(chunk, kernel_weights(state, out), plan, tables, options, 0,
                        len(order), 0.0, int(seed), 0, n_threads, max_len)
    return out
