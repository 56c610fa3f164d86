"""Kernels of phrase detection (collocations): candidate phrases of a block of
token ids counted in one pass, the greedy left-to-right choice of the
phrases a sentence becomes, and gensim's two scores.

A candidate is two consecutive non-connector tokens of a sentence with the
connector tokens between them (``bank of america``: ``bank``, ``of``,
``america``), as gensim's ``Phrases`` counts them.  Plain arrays in, plain
arrays out; no scikit-learn here.
"""

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_U31 = np.uint64(31)
_U32 = np.uint64(32)


@njit(nogil=True, cache=True, error_model="numpy")
def phrase_candidates(ids, starts, is_connector, occurrences):
    """The distinct candidate phrases of the sentences ``ids[starts[s]:starts[s
    + 1]]``, counted in one pass with an exact hash table (a key's hash is
    checked first, then its tokens one by one).

    Parameters
    ----------
    ids : int32 array, token ids (indices into ``is_connector``).
    starts : int64 array, sentence boundaries.
    is_connector : bool array, per id.
    occurrences : bool
        Also return every occurrence (for joining phrases; counting needs
        the distinct candidates only).

    Returns
    -------
    first_a, first_b : int32 arrays, positions of the first and last token
        of the first occurrence of each distinct candidate.
    counts : int64 array, occurrences of each distinct candidate.
    occ_a, occ_b, occ_phrase : int32 arrays (empty unless ``occurrences``),
        each occurrence's first and last token and distinct candidate, in
        sentence order.
    """
    n = ids.shape[0]
    size = 2
    while size < 2 * n + 2:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.full(size, -1, np.int32)  # distinct candidate of each slot
    hashes = np.empty(size, np.uint32)  # its hash's high bits
    first_a = np.empty(n, np.int32)
    first_b = np.empty(n, np.int32)
    counts = np.zeros(n, np.int64)
    n_occ_max = n if occurrences else 0
    occ_a = np.empty(n_occ_max, np.int32)
    occ_b = np.empty(n_occ_max, np.int32)
    occ_phrase = np.empty(n_occ_max, np.int32)
    n_occ = 0
    n_distinct = 0
    for s in range(starts.shape[0] - 1):
        prev = -1
        for p in range(starts[s], starts[s + 1]):
            if is_connector[ids[p]]:
                continue
            if prev >= 0:
                h = _GOLDEN
                for q in range(prev, p + 1):
                    h = (h ^ np.uint64(ids[q])) * _PRIME
                h = (h ^ (h >> _U31)) * _MIX
                tag = np.uint32(h >> _U32)
                slot = np.int64(h & mask)
                length = p - prev
                while True:
                    d = table[slot]
                    if d < 0:
                        d = n_distinct
                        table[slot] = d
                        hashes[slot] = tag
                        first_a[d] = prev
                        first_b[d] = p
                        n_distinct += 1
                        break
                    if hashes[slot] == tag and first_b[d] - first_a[d] == length:
                        a0 = first_a[d]
                        same = True
                        for k in range(length + 1):
                            if ids[a0 + k] != ids[prev + k]:
                                same = False
                                break
                        if same:
                            break
                    slot = (slot + 1) & (size - 1)
                counts[d] += 1
                if occurrences:
                    occ_a[n_occ] = prev
                    occ_b[n_occ] = p
                    occ_phrase[n_occ] = d
                    n_occ += 1
            prev = p
    return (first_a[:n_distinct], first_b[:n_distinct], counts[:n_distinct], occ_a[:n_occ],
            occ_b[:n_occ], occ_phrase[:n_occ])


@njit(nogil=True, cache=True)
def choose_phrases(occ_a, occ_b, is_phrase):
    """Which candidate occurrences become phrases, left to right as gensim
    reads a sentence: a candidate whose first token ends the phrase just
    made is not one (that token is taken); otherwise it is one when
    ``is_phrase``."""
    n = occ_a.shape[0]
    chosen = np.zeros(n, np.bool_)
    for i in range(n):
        if is_phrase[i] and not (i > 0 and chosen[i - 1] and occ_a[i] == occ_b[i - 1]):
            chosen[i] = True
    return chosen


def candidate_strings(keys, ids, first_a, first_b, delimiter):
    """The joined text of each candidate (``keys[ids[a]] + delimiter + ...``);
    ``keys`` an object array.  Candidates of one length are joined together
    (``str.join`` mapped over columns of words)."""
    a = first_a.astype(np.int64)
    lengths = first_b.astype(np.int64) - a + 1
    out = np.empty(len(a), dtype=object)
    join = delimiter.join
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        columns = [keys[ids[a[rows] + k]].tolist() for k in range(length)]
        out[rows] = list(map(join, zip(*columns, strict=True)))
    return out.tolist()


def score_phrases(vocab, delimiter, min_count, threshold, scoring, corpus_word_count):
    """The phrases of ``vocab`` (word and phrase counts, one dict as gensim's)
    whose score exceeds ``threshold``, with their scores.

    ``scoring="default"``: ``(count(ab) - min_count) * len(vocab) / (count(a)
    count(b))`` (Mikolov et al. 2013, with gensim's vocabulary size);
    ``"npmi"``: the normalized pointwise mutual information of a and b (Bouma
    2009), for phrases counted at least ``min_count`` times.  ``a`` and
    ``b`` are the first and last words of the phrase (connector words
    between).  Scores are computed in the same floating-point operations as
    gensim's, so a phrase at the threshold is decided the same way.
    """
    len_vocab = len(vocab)
    # counts that cannot score above the threshold (> 0 for the default
    # score) are skipped unread
    lowest = min_count if scoring == "npmi" else min_count + 1
    total = float(corpus_word_count)
    get = vocab.get
    out = {}
    for phrase, count in vocab.items():
        if count < lowest or delimiter not in phrase:
            continue
        parts = phrase.split(delimiter)
        count_a, count_b = get(parts[0], 0), get(parts[-1], 0)
        if count_a <= 0 or count_b <= 0:
            continue
        if scoring == "npmi":
            if count < min_count:
                continue
            pa, pb, pab = count_a / total, count_b / total, count / total
            if pab >= 1.0:
                continue
            score = math.log(pab / (pa * pb)) / -math.log(pab)
        else:
            score = (count - min_count) / float(count_a * count_b) * len_vocab
        if score > threshold:
            out[phrase] = score
    return out
