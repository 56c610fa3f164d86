"""fastText subwords: the hashed character n-grams of a word.

A word ``w`` is represented by its own row and the rows of the character
n-grams of ``<w>`` (``min_n`` to ``max_n`` characters), each hashed with
fastText's 32-bit FNV-1a into one of ``bucket`` rows of the n-gram table
(Bojanowski et al. 2017).  The n-grams and the hash follow fastText's
``Dictionary::computeSubwords`` and ``Dictionary::hash`` exactly (including
the sign extension of bytes above 127), so the same word maps to the same
buckets as in fastText and gensim.
"""

import numpy as np
from numba import njit

from .._ragged import offsets

_FNV_OFFSET = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True)
def _hash(data, start, end):
    """fastText's 32-bit FNV-1a (computed in 64 bits, masked to 32)."""
    h = _FNV_OFFSET
    for p in range(start, end):
        b = np.int64(np.int8(data[p]))  # fastText hashes signed chars
        h = ((h ^ (np.uint64(b) & _LOW32)) * _FNV_PRIME) & _LOW32
    return h


@njit(cache=True)
def _ngram_buckets(data, offsets, min_n, max_n, bucket):
    """CSR (indptr, bucket ids) of the n-grams of each bracketed word
    ``data[offsets[i]:offsets[i + 1]]`` (UTF-8 bytes of ``<word>``)."""
    n_words = offsets.shape[0] - 1
    counts = np.zeros(n_words, np.int64)
    # two passes: count, then fill
    for pass_ in range(2):
        if pass_ == 1:
            indptr = np.zeros(n_words + 1, np.int64)
            for w in range(n_words):
                indptr[w + 1] = indptr[w] + counts[w]
            out = np.empty(indptr[n_words], np.int64)
        for w in range(n_words):
            start, end = offsets[w], offsets[w + 1]
            k = 0
            for i in range(start, end):
                if (data[i] & 0xC0) == 0x80:  # not the first byte of a character
                    continue
                j = i
                n = 1
                while j < end and n <= max_n:
                    j += 1
                    while j < end and (data[j] & 0xC0) == 0x80:
                        j += 1
                    if n >= min_n and not (n == 1 and (i == start or j == end)):
                        if pass_ == 1:
                            out[indptr[w] + k] = np.int64(_hash(data, i, j) % np.uint64(bucket))
                        k += 1
                    n += 1
            if pass_ == 0:
                counts[w] = k
    return indptr, out


def ngram_buckets(words, min_n, max_n, bucket):
    """Bucket ids of the character n-grams of each word.

    Parameters
    ----------
    words : sequence of str
    min_n, max_n : int
        Shortest and longest n-gram, in characters, of ``"<" + word + ">"``.
    bucket : int
        Number of rows of the n-gram table.

    Returns
    -------
    indptr : int64 (len(words) + 1,)
    ids : int64
        ``ids[indptr[i]:indptr[i + 1]]`` are the buckets of word ``i`` (a
        bucket repeats when two n-grams hash to it, as in fastText).

    Examples
    --------
    >>> from skembed.word2vec.subwords import ngram_buckets
    >>> indptr, ids = ngram_buckets(["where"], 3, 3, 2_000_000)
    >>> int(indptr[1])   # <wh whe her ere re>
    5
    """
    encoded = [("<" + str(w) + ">").encode("utf-8") for w in words]
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    if data.size == 0:
        data = np.zeros(1, np.uint8)
    bounds = offsets([len(e) for e in encoded])
    return _ngram_buckets(data, bounds, int(min_n), int(max_n), int(bucket))


@njit(cache=True)
def subword_vectors(syn0, ngrams, indptr, ids):
    """Each key's vector: the mean of its own row and its n-gram rows."""
    n, dim = syn0.shape
    out = np.empty((n, dim), np.float32)
    for w in range(n):
        for k in range(dim):
            out[w, k] = syn0[w, k]
        for p in range(indptr[w], indptr[w + 1]):
            b = ids[p]
            for k in range(dim):
                out[w, k] += ngrams[b, k]
        inv = np.float32(1.0) / np.float32(1 + indptr[w + 1] - indptr[w])
        for k in range(dim):
            out[w, k] *= inv
    return out


@njit(cache=True)
def ngram_means(ngrams, indptr, ids):
    """Vectors of words outside the vocabulary: the mean of their n-gram
    rows (zero for a word without n-grams), as fastText and gensim."""
    n = indptr.shape[0] - 1
    dim = ngrams.shape[1]
    out = np.zeros((n, dim), np.float32)
    for w in range(n):
        m = indptr[w + 1] - indptr[w]
        if m == 0:
            continue
        for p in range(indptr[w], indptr[w + 1]):
            b = ids[p]
            for k in range(dim):
                out[w, k] += ngrams[b, k]
        inv = np.float32(1.0) / np.float32(m)
        for k in range(dim):
            out[w, k] *= inv
    return out
