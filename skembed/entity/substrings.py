"""Character n-grams of category names, hashed: the substrings that categories share.

A category's spelling is cut into the character n-grams of its words, each
word padded with a space on both sides (``"bank of" -> " ba", "ban", ...,
"of "``), as fastText's subwords of a word or scikit-learn's ``char_wb``
analyzer; letters are lower-cased first.  The n-grams are hashed (64-bit
FNV-1a of their UTF-8 bytes, mixed by MurmurHash3's finaliser) rather than
kept as strings, in one compiled pass over all names; an n-gram earns a row
when at least ``min_categories`` categories contain it.  A category keeps at
most ``max_per_category`` of its n-grams: those of smallest hash (a bottom-k
MinHash sketch, so that similar names keep the same ones).
"""

import numpy as np
from numba import njit

from .._threads import in_threads

__all__ = ["SubstringVocabulary"]

NGRAM_RANGE = (2, 4)

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(nogil=True, cache=True)
def _is_space(b):
    return b == 32 or b == 9 or b == 10 or b == 13 or b == 11 or b == 12


@njit(nogil=True, cache=True, inline="always")
def _mix(h):
    """A 64-bit finaliser (MurmurHash3's fmix64) of an FNV-1a hash.  FNV's
    high bits are poorly mixed for short inputs (every 2-gram hashes between
    0.030 and 0.035 of the range): without it the bottom-k sketch kept a
    name's 2-grams first instead of a random sample of its n-grams."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(nogil=True, cache=True)
def _word_ngrams(buf, start, stop, n_min, n_max, out, k):
    """Hashes of the n-grams of the padded word ``buf[start:stop]`` into
    ``out[k:]``; returns the new ``k``."""
    length = stop - start + 2  # with a space on each side
    for n in range(n_min, n_max + 1):
        last = length - n if length > n else 0
        for offset in range(last + 1):
            h = _FNV_OFFSET
            for q in range(offset, min(offset + n, length)):
                b = np.uint64(32) if q == 0 or q == length - 1 \
                    else np.uint64(buf[start + q - 1])
                h = (h ^ b) * _FNV_PRIME
            out[k] = _mix(h)
            k += 1
        if length <= n:  # the whole padded word fits: longer n-grams repeat it
            break
    return k


@njit(nogil=True, cache=True)
def _ngram_hashes(buf, offsets, n_min, n_max, out, counts):
    """Per string ``buf[offsets[i]:offsets[i + 1]]``: the distinct hashes of
    its words' n-grams, ascending, packed into ``out`` (room for
    :func:`_max_ngrams` of them) with their number in ``counts``.  Returns
    the number written."""
    k = 0
    for i in range(len(offsets) - 1):
        first = k
        pos = offsets[i]
        end = offsets[i + 1]
        while pos < end:
            while pos < end and _is_space(buf[pos]):
                pos += 1
            if pos >= end:
                break
            word = pos
            while pos < end and not _is_space(buf[pos]):
                pos += 1
            k = _word_ngrams(buf, word, pos, n_min, n_max, out, k)
        if k > first:
            # sort this string's hashes and pack the distinct ones back from
            # `first` (earlier strings were packed, so they never overlap)
            out[first:k] = np.sort(out[first:k])
            w = first + 1
            for q in range(first + 1, k):
                if out[q] != out[w - 1]:
                    out[w] = out[q]
                    w += 1
            k = w
        counts[i] = k - first
    return k


def _max_ngrams(n_bytes, n_strings, n_min, n_max):
    """A bound on the n-grams (repeats included) of ``n_strings`` strings of
    ``n_bytes`` bytes in all: a word of ``L`` bytes has at most ``L + 2`` of
    each length, and a string of ``b`` bytes at most ``(b + 1) // 2`` words."""
    return int(n_max - n_min + 1) * (2 * int(n_bytes) + int(n_strings))


def _string_blocks(n_strings, n_threads):
    """Contiguous ``(first, stop)`` blocks of strings, one per thread (at
    least 2,000 strings each: below that a thread costs more than it saves)."""
    n_blocks = max(1, min(int(n_threads), n_strings // 2000))
    edges = np.linspace(0, n_strings, n_blocks + 1).astype(np.int64)
    return list(zip(edges[:-1], edges[1:], strict=True))


def ngram_hashes(strings, ngram_range=NGRAM_RANGE, n_threads=1):
    """``(indptr, hashes)``: the distinct uint64 n-gram hashes of each string,
    ascending within a string, CSR-like.  ``n_threads`` threads hash blocks
    of the strings."""
    encoded = [s.lower().encode("utf-8", "surrogatepass") for s in strings]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    counts = np.zeros(len(encoded), dtype=np.int64)
    n_min, n_max = (np.int64(v) for v in ngram_range)
    blocks = _string_blocks(len(encoded), n_threads)
    outs = [None] * len(blocks)

    def run(k, stop):
        a, b = blocks[k]
        part, mine = offsets[a:b + 1], counts[a:b]
        out = np.empty(_max_ngrams(part[-1] - part[0], b - a, n_min, n_max), dtype=np.uint64)
        outs[k] = out[:_ngram_hashes(buf, part, n_min, n_max, out, mine)]

    in_threads(len(blocks), run)
    hashes = outs[0].copy() if len(outs) == 1 else np.concatenate(outs)  # no slack kept
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), hashes


class SubstringVocabulary:
    """The n-grams (hashes) shared by at least ``min_categories`` of the
    names given to :meth:`fit`, at most ``max_ngrams`` (those most names
    share), each with a row index.

    Attributes
    ----------
    hashes : ndarray of uint64
        Sorted hashes of the kept n-grams; n-gram ``g`` is row ``g``.
    """

    def __init__(self, ngram_range=NGRAM_RANGE, min_categories=2, max_ngrams=20_000,
                 max_per_category=32):
        self.ngram_range = ngram_range
        self.min_categories = min_categories
        self.max_ngrams = max_ngrams
        self.max_per_category = max_per_category

    def fit_matrix(self, strings, n_threads=1):
        """Learn the n-grams of ``strings``; returns their matrix (see
        :meth:`matrix`), or None when no n-gram is shared enough."""
        indptr, hashes = ngram_hashes(strings, self.ngram_range, n_threads)
        uniq, df = np.unique(hashes, return_counts=True)  # distinct within a string
        keep = df >= self.min_categories
        if not keep.any():
            return None
        uniq, df = uniq[keep], df[keep]
        if len(uniq) > self.max_ngrams:  # the most shared ones (ties: smaller hash)
            top = np.lexsort((uniq, -df))[:self.max_ngrams]
            uniq = np.sort(uniq[top])
        self.hashes = uniq
        return self._matrix(indptr, hashes, n_threads)

    def matrix(self, strings, n_threads=1):
        """``(indptr, ngram rows)`` of each string: its distinct known n-grams,
        at most ``max_per_category``, those of smallest hash."""
        return self._matrix(*ngram_hashes(strings, self.ngram_range, n_threads), n_threads)

    def _matrix(self, indptr, hashes, n_threads=1):
        n = len(indptr) - 1
        counts = np.zeros(n, dtype=np.int64)
        k = self.max_per_category
        blocks = _string_blocks(n, n_threads)
        outs = [None] * len(blocks)

        def run(t, stop):
            a, b = blocks[t]
            pos = np.empty(min(int(indptr[b] - indptr[a]), (b - a) * k), dtype=np.int64)
            outs[t] = pos[:_bottom_k_rows(indptr[a:b + 1], hashes, self.hashes, k,
                                          counts[a:b], pos)]

        in_threads(len(blocks), run)
        rows = outs[0] if len(outs) == 1 else np.concatenate(outs)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), rows


@njit(nogil=True, cache=True)
def _bottom_k_rows(indptr, hashes, vocab, k, counts, pos):
    """Per string (its hashes ascending, ``indptr``): the rows in the sorted
    ``vocab`` of its first ``k`` known hashes (a bottom-k sketch), packed into
    ``pos`` with their number in ``counts``; returns the total.  A string's
    lookups start where its previous one ended (both sides ascend), and stop
    at ``k`` hits."""
    total = 0
    n_vocab = vocab.shape[0]
    for i in range(indptr.shape[0] - 1):
        lo = 0
        found = 0
        for q in range(indptr[i], indptr[i + 1]):
            if found == k or lo >= n_vocab:
                break
            h = hashes[q]
            # exponential then binary search for the first vocab entry >= h
            step = 1
            hi = lo
            while hi < n_vocab and vocab[hi] < h:
                lo = hi + 1
                hi = lo + step
                step *= 2
            if hi > n_vocab:
                hi = n_vocab
            while lo < hi:
                mid = (lo + hi) // 2
                if vocab[mid] < h:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < n_vocab and vocab[lo] == h:
                pos[total] = lo
                total += 1
                found += 1
        counts[i] = found
    return total
