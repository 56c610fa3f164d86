"""Kernels of phrase detection (collocations, word2vec's word2phrase): candidate
phrases of a block of token ids counted in one pass, the table of word and
phrase counts of a pass (:class:`PhraseCounts`), the greedy left-to-right
choice of the phrases a sentence becomes, and gensim's two scores; the
estimator is :class:`skembed.PhraseTransformer`.

A candidate is two consecutive non-connector tokens of a sentence with the
connector tokens between them (``bank of america``: ``bank``, ``of``,
``america``), as gensim's ``Phrases`` counts them.  Plain arrays in, plain
arrays out; no scikit-learn here.
"""

import math

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


def score_phrases(counts, delimiter, min_count, threshold, scoring, corpus_word_count):
    """The phrases among the ``counts`` (a :class:`PhraseCounts`: word and
    phrase counts, one table as gensim's vocabulary) whose score exceeds
    ``threshold``, with their scores.

    ``scoring="default"``: ``(count(ab) - min_count) * len(vocab) / (count(a)
    count(b))`` (Mikolov et al. 2013, with gensim's vocabulary size);
    ``"npmi"``: the normalized pointwise mutual information of a and b (Bouma
    2009), for phrases counted at least ``min_count`` times.  As gensim's
    ``export_phrases``, every key holding the delimiter is scored, ``a`` and
    ``b`` its first and last parts.  Scores are computed in the same
    floating-point operations as gensim's, so a phrase at the threshold is
    decided the same way.
    """
    len_vocab = len(counts)
    # counts that cannot score above the threshold (> 0 for the default
    # score) are skipped unread
    lowest = min_count if scoring == "npmi" else min_count + 1
    total = float(corpus_word_count)
    get = dict(counts.items(words=True)).get
    out = {}
    for phrase, count in counts.items(min_count=lowest):
        if delimiter not in phrase:
            continue
        parts = phrase.split(delimiter)
        count_a, count_b = get(parts[0], 0), get(parts[-1], 0)
        if count_a <= 0 or count_b <= 0:
            continue
        if scoring == "npmi":
            pa, pb, pab = count_a / total, count_b / total, count / total
            if pab >= 1.0:
                continue
            score = math.log(pab / (pa * pb)) / -math.log(pab)
        else:
            score = (count - min_count) / float(count_a * count_b) * len_vocab
        if score > threshold:
            out[phrase] = score
    return out


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
_START, _LENGTH, _COUNT = 0, 1, 2
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
        if (packed & _LOW32) == tag and entries[e, _LENGTH] == length:
            at = entries[e, _START]
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
def _merge_block(slots, entries, is_word, arena, n_entries, used, word_bytes, word_offsets,
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
                prefetch_row(arena_rows, entries[packed >> 32, _START] // 4)
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
            entries[found, _START] = used
            entries[found, _LENGTH] = length
            entries[found, _COUNT] = 0
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
        entries[found, _COUNT] += count
        if c < n_words:
            is_word[found] = True
    return n_entries, used


@njit(nogil=True, cache=True, error_model="numpy")
def _find_block(slots, entries, arena, word_bytes, word_offsets, key_tokens, key_starts,
                delimiter):
    """Whether each key (as in :func:`_merge_block`) is in the table."""
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
def _rehash(entries, arena, n_entries, size):
    """The slots of the first ``n_entries`` entries in a table of ``size``."""
    slots = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for e in range(n_entries):
        h = _mixed(_poly(arena, entries[e, _START], entries[e, _START] + entries[e, _LENGTH])[0])
        slot = np.int64(h & mask)
        while slots[slot] >= 0:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        slots[slot] = (np.int64(e) << 32) | np.int64(h >> _U32)
    return slots


@njit(nogil=True, cache=True, error_model="numpy")
def _compact(entries, is_word, arena, n_entries, min_count):
    """Keep the entries counted at least ``min_count`` times (moved to the
    front, their bytes too); returns the new ``(n_entries, used)``."""
    kept = 0
    used = 0
    for e in range(n_entries):
        if entries[e, _COUNT] < min_count:
            continue
        start, length = entries[e, _START], entries[e, _LENGTH]
        for i in range(length):
            arena[used + i] = arena[start + i]
        entries[kept, _START] = used
        entries[kept, _LENGTH] = length
        entries[kept, _COUNT] = entries[e, _COUNT]
        is_word[kept] = is_word[e]
        used += length
        kept += 1
    return kept, used


class PhraseCounts:
    """The word and phrase counts of one pass, as gensim's vocabulary dict:
    one exact hash table of UTF-8 strings (an arena of bytes), merged block
    by block (:meth:`add`), pruned (:meth:`prune`), read back as strings
    (:meth:`items`)."""

    def __init__(self, delimiter):
        self.delimiter = np.frombuffer(delimiter.encode("utf-8", "surrogatepass"), np.uint8)
        self.n_entries, self.used = 0, 0
        self.slots = np.full(1024, -1, np.int64)
        self.entries = np.empty((256, 3), np.int64)
        self.is_word = np.empty(256, np.bool_)
        self.arena = np.empty(4096, np.uint8)

    def __len__(self):
        return self.n_entries

    def add(self, words, word_counts, cand_tokens, cand_starts, cand_counts):
        """Add a block: its distinct ``words`` (str) with their counts (0:
        not counted, e.g. connector words) and its distinct candidates
        (word indices ``cand_tokens[cand_starts[c]:cand_starts[c + 1]]``)
        with theirs."""
        word_bytes, word_offsets = _utf8(words)
        lengths = np.diff(word_offsets)
        # the keys: the words (one token each), then the candidates
        n_words = len(words)
        key_tokens = np.concatenate([np.arange(n_words, dtype=np.int64),
                                     np.asarray(cand_tokens, np.int64)])
        key_starts = np.concatenate([np.arange(n_words, dtype=np.int64),
                                     n_words + np.asarray(cand_starts, np.int64)])
        key_counts = np.concatenate([np.asarray(word_counts, np.int64),
                                     np.asarray(cand_counts, np.int64)])
        # room for every key of the block being new
        n_new = int(np.count_nonzero(key_counts))
        n_bytes = int(lengths[key_tokens].sum()) + len(self.delimiter) * (
            len(cand_tokens) - len(cand_counts))
        if self.n_entries + n_new > len(self.entries):
            entries = np.empty((2 * (self.n_entries + n_new), 3), np.int64)
            entries[:self.n_entries] = self.entries[:self.n_entries]
            is_word = np.empty(len(entries), np.bool_)
            is_word[:self.n_entries] = self.is_word[:self.n_entries]
            self.entries, self.is_word = entries, is_word
        if self.used + n_bytes > len(self.arena):
            arena = np.empty(4 * (-(-(self.used + n_bytes) // 2)), np.uint8)  # (4 | size)
            arena[:self.used] = self.arena[:self.used]
            self.arena = arena
        size = len(self.slots)
        while 2 * (self.n_entries + n_new) > size:
            size *= 2
        if size != len(self.slots):
            self.slots = _rehash(self.entries, self.arena, self.n_entries, size)
        self.n_entries, self.used = _merge_block(
            self.slots, self.entries, self.is_word, self.arena, self.n_entries, self.used,
            word_bytes, word_offsets, key_tokens, key_starts, key_counts, n_words,
            self.delimiter)

    def find(self, words, cand_tokens, cand_starts):
        """Whether each candidate (word indices ``cand_tokens[cand_starts[c]:
        cand_starts[c + 1]]`` of ``words``) is a key of the table."""
        word_bytes, word_offsets = _utf8(words)
        return _find_block(self.slots, self.entries, self.arena, word_bytes, word_offsets,
                           np.asarray(cand_tokens, np.int64),
                           np.asarray(cand_starts, np.int64), self.delimiter)

    @classmethod
    def of_strings(cls, strings, delimiter):
        """A table holding ``strings`` (count 1 each): a set to look up
        candidates in (:meth:`find`)."""
        table = cls(delimiter)
        empty = np.zeros(0, np.int64)
        table.add(list(strings), np.ones(len(strings), np.int64), empty,
                  np.zeros(1, np.int64), empty)
        return table

    def prune(self, min_count):
        """Drop the entries counted fewer than ``min_count`` times."""
        self.n_entries, self.used = _compact(self.entries, self.is_word, self.arena,
                                             self.n_entries, min_count)
        self.slots = _rehash(self.entries, self.arena, self.n_entries, len(self.slots))

    def items(self, min_count=1, words=False):
        """``(string, count)`` of the entries counted at least ``min_count``
        times (``words``: only those counted as words)."""
        entries = self.entries[:self.n_entries]
        keep = entries[:, _COUNT] >= min_count
        if words:
            keep &= self.is_word[:self.n_entries]
        rows = entries[keep]
        arena = self.arena[:self.used].tobytes()
        starts = rows[:, _START].tolist()
        ends = (rows[:, _START] + rows[:, _LENGTH]).tolist()
        strings = [arena[a:b].decode("utf-8", "surrogatepass")
                   for a, b in zip(starts, ends, strict=True)]
        return list(zip(strings, rows[:, _COUNT].tolist(), strict=True))


def _utf8(words):
    """The UTF-8 bytes of ``words`` (str) end to end, and each one's offsets."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    word_offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=word_offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8), word_offsets
