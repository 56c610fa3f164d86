"""The engine's learned tables (:class:`Word2VecState`): input vectors,
output layers, subword n-grams and document vectors; their random start,
and their growth for new keys (online training) or document tags."""

from dataclasses import dataclass, field

import numpy as np


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
