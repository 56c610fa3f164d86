"""Numba kernels of phrase detection (collocations, word2vec's word2phrase):
the candidate phrases of a block of token ids counted in one pass, the
greedy left-to-right choice of the phrases a sentence becomes, and the
kernels of the table of word and phrase counts
(:class:`~skembed.word2vec.phrases.PhraseCounts`): hashing keys, merging a
block's counts, looking keys up, rehashing and pruning.

A candidate is two consecutive non-connector tokens of a sentence with the
connector tokens between them (``bank of america``: ``bank``, ``of``,
``america``), as gensim's ``Phrases`` counts them.  Plain arrays in, plain
arrays out; no scikit-learn here.
"""

import numpy as np
from numba import njit

from .memory import prefetch_row

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


# -- the counts of one pass: words and phrases in one exact hash table -----------
# gensim keeps one dict of words and joined phrases; here its keys are the
# UTF-8 bytes of those strings, in an arena, hashed and compared byte for
# byte, so a token that holds the delimiter counts together with the phrase
# it spells, exactly as in gensim, and no phrase string is built in Python
# while counting.  The hash of a string is a polynomial in its bytes (mod
# 2**64), which composes over concatenation: H(x + y) = H(x) * B**len(y) +
# H(y), so a phrase's hash comes from its words' hashes in one step per word.
_BASE = np.uint64(0x9E3779B97F4A7C15)
_U29 = np.uint64(29)


@njit(nogil=True, cache=True, inline="always")
def _poly(data, lo, hi):
    """(H, B**n) of the bytes ``data[lo:hi]``."""
    h = np.uint64(0)
    power = np.uint64(1)
    for i in range(lo, hi):
        h = h * _BASE + np.uint64(data[i]) + np.uint64(1)
        power *= _BASE
    return h, power


@njit(nogil=True, cache=True, inline="always")
def _mixed(h):
    h = (h ^ (h >> _U31)) * _MIX
    return h ^ (h >> _U29)


@njit(nogil=True, cache=True, inline="always")
def _key_hash(word_hash, word_power, delim_hash, delim_power, key_tokens, t0, t1):
    """The hash of the words ``key_tokens[t0:t1]`` joined by the delimiter."""
    h = np.uint64(0)
    for t in range(t0, t1):
        if t > t0:
            h = h * delim_power + delim_hash
        w = key_tokens[t]
        h = h * word_power[w] + word_hash[w]
    return _mixed(h)


@njit(nogil=True, cache=True, error_model="numpy")
def _key_hashes(word_bytes, word_offsets, key_tokens, key_starts, delimiter):
    """The hash and the byte length of every key (words ``key_tokens[
    key_starts[c]:key_starts[c + 1]]`` joined by ``delimiter``)."""
    word_hash, word_power = _word_hashes(word_bytes, word_offsets)
    n_delim = delimiter.shape[0]
    delim_hash, delim_power = _poly(delimiter, 0, n_delim)
    n_keys = key_starts.shape[0] - 1
    hashes = np.empty(n_keys, np.uint64)
    lengths = np.empty(n_keys, np.int64)
    for c in range(n_keys):
        t0, t1 = key_starts[c], key_starts[c + 1]
        hashes[c] = _key_hash(word_hash, word_power, delim_hash, delim_power, key_tokens, t0,
                              t1)
        length = (t1 - t0 - 1) * n_delim
        for t in range(t0, t1):
            length += word_offsets[key_tokens[t] + 1] - word_offsets[key_tokens[t]]
        lengths[c] = length
    return hashes, lengths


# keys hashed ahead of the one merged, for prefetching
_AHEAD = 16


@njit(nogil=True, cache=True, error_model="numpy")
def _word_hashes(word_bytes, word_offsets):
    n = word_offsets.shape[0] - 1
    word_hash = np.empty(n, np.uint64)
    word_power = np.empty(n, np.uint64)
    for w in range(n):
        word_hash[w], word_power[w] = _poly(word_bytes, word_offsets[w], word_offsets[w + 1])
    return word_hash, word_power


# an entry: its bytes' start in the arena, their length, its count; a slot:
# the entry's index << 32 | the high 32 bits of its hash (-1: empty), so a
# probe reads one slot and, when the tag matches, one entry row
START, LENGTH, COUNT = 0, 1, 2
_LOW32 = np.int64(0xFFFFFFFF)


@njit(nogil=True, cache=True, inline="always")
def _probe(slots, entries, arena, h, length, word_bytes, word_offsets, key_tokens, t0, t1,
           delimiter):
    """Where the key of the words ``key_tokens[t0:t1]`` joined by
    ``delimiter`` (hash ``h``, ``length`` bytes) is in the table:
    ``(slot, entry)``, or the empty slot it would take and -1.  A slot's tag
    and its entry's length are compared first, then the entry's bytes in the
    arena one by one."""
    mask = np.uint64(slots.shape[0] - 1)
    n_delim = delimiter.shape[0]
    tag = np.int64(h >> _U32)
    slot = np.int64(h & mask)
    found = -1
    while True:
        packed = slots[slot]
        if packed < 0:
            break
        e = packed >> 32
        if (packed & _LOW32) == tag and entries[e, LENGTH] == length:
            at = entries[e, START]
            same = True
            for t in range(t0, t1):
                if t > t0:
                    for k in range(n_delim):
                        if arena[at] != delimiter[k]:
                            same = False
                            break
                        at += 1
                    if not same:
                        break
                w = key_tokens[t]
                for i in range(word_offsets[w], word_offsets[w + 1]):
                    if arena[at] != word_bytes[i]:
                        same = False
                        break
                    at += 1
                if not same:
                    break
            if same:
                found = e
                break
        slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
    return slot, found


@njit(nogil=True, cache=True, error_model="numpy")
def merge_block(slots, entries, is_word, arena, n_entries, used, word_bytes, word_offsets,
                key_tokens, key_starts, key_counts, n_words, delimiter):
    """Add the counts of a block's keys to the table: key ``c`` is the words
    ``key_tokens[key_starts[c]:key_starts[c + 1]]`` joined by ``delimiter``
    (bytes of word ``w``: ``word_bytes[word_offsets[w]:word_offsets[w + 1]]``);
    the first ``n_words`` keys are words.  Returns ``(n_entries, used)``."""
    mask = np.uint64(slots.shape[0] - 1)
    n_delim = delimiter.shape[0]
    hashes, lengths = _key_hashes(word_bytes, word_offsets, key_tokens, key_starts, delimiter)
    # float32 views of the same memory for prefetch_row (one compiled
    # signature, the word2vec kernels'; a prefetch needs an address only)
    slot_rows = slots.view(np.float32).reshape((slots.shape[0], 2))
    entry_rows = entries.view(np.float32).reshape((entries.shape[0], 6))
    arena_rows = arena.view(np.float32).reshape((arena.shape[0] // 4, 1))
    n_keys = key_counts.shape[0]
    for c in range(n_keys):
        # the table is far larger than the caches: fetch ahead the slot of a
        # later key, and the entry and bytes its slot points to
        if c + _AHEAD < n_keys:
            prefetch_row(slot_rows, np.int64(hashes[c + _AHEAD] & mask))
        if c + _AHEAD // 2 < n_keys:
            packed = slots[np.int64(hashes[c + _AHEAD // 2] & mask)]
            if packed >= 0:
                prefetch_row(entry_rows, packed >> 32)
                prefetch_row(arena_rows, entries[packed >> 32, START] // 4)
        count = key_counts[c]
        if count <= 0:
            continue
        t0, t1 = key_starts[c], key_starts[c + 1]
        h = hashes[c]
        length = lengths[c]
        slot, found = _probe(slots, entries, arena, h, length, word_bytes, word_offsets,
                             key_tokens, t0, t1, delimiter)
        if found < 0:
            tag = np.int64(h >> _U32)
            found = n_entries
            n_entries += 1
            slots[slot] = (found << 32) | tag
            entries[found, START] = used
            entries[found, LENGTH] = length
            entries[found, COUNT] = 0
            is_word[found] = False
            for t in range(t0, t1):
                if t > t0:
                    for k in range(n_delim):
                        arena[used] = delimiter[k]
                        used += 1
                w = key_tokens[t]
                for i in range(word_offsets[w], word_offsets[w + 1]):
                    arena[used] = word_bytes[i]
                    used += 1
        entries[found, COUNT] += count
        if c < n_words:
            is_word[found] = True
    return n_entries, used


@njit(nogil=True, cache=True, error_model="numpy")
def find_block(slots, entries, arena, word_bytes, word_offsets, key_tokens, key_starts,
               delimiter):
    """Whether each key (as in :func:`merge_block`) is in the table."""
    n_delim = delimiter.shape[0]
    n_keys = key_starts.shape[0] - 1
    found = np.zeros(n_keys, np.bool_)
    word_hash, word_power = _word_hashes(word_bytes, word_offsets)
    delim_hash, delim_power = _poly(delimiter, 0, n_delim)
    for c in range(n_keys):
        t0, t1 = key_starts[c], key_starts[c + 1]
        h = _key_hash(word_hash, word_power, delim_hash, delim_power, key_tokens, t0, t1)
        length = (t1 - t0 - 1) * n_delim
        for t in range(t0, t1):
            length += word_offsets[key_tokens[t] + 1] - word_offsets[key_tokens[t]]
        found[c] = _probe(slots, entries, arena, h, length, word_bytes, word_offsets,
                          key_tokens, t0, t1, delimiter)[1] >= 0
    return found


@njit(nogil=True, cache=True, error_model="numpy")
def rehash(entries, arena, n_entries, size):
    """The slots of the first ``n_entries`` entries in a table of ``size``."""
    slots = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for e in range(n_entries):
        h = _mixed(_poly(arena, entries[e, START], entries[e, START] + entries[e, LENGTH])[0])
        slot = np.int64(h & mask)
        while slots[slot] >= 0:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        slots[slot] = (np.int64(e) << 32) | np.int64(h >> _U32)
    return slots


@njit(nogil=True, cache=True, error_model="numpy")
def compact(entries, is_word, arena, n_entries, min_count):
    """Keep the entries counted at least ``min_count`` times (moved to the
    front, their bytes too); returns the new ``(n_entries, used)``."""
    kept = 0
    used = 0
    for e in range(n_entries):
        if entries[e, COUNT] < min_count:
            continue
        start, length = entries[e, START], entries[e, LENGTH]
        for i in range(length):
            arena[used + i] = arena[start + i]
        entries[kept, START] = used
        entries[kept, LENGTH] = length
        entries[kept, COUNT] = entries[e, COUNT]
        is_word[kept] = is_word[e]
        used += length
        kept += 1
    return kept, used
