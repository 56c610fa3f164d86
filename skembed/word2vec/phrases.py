"""Phrase counting in Python over the kernels of
:mod:`~skembed.word2vec.phrase_kernels`: the table of word and phrase
counts of a pass (:class:`PhraseCounts`), the joined text of candidates,
and gensim's two scores; the estimator is :class:`skembed.PhraseTransformer`.
No scikit-learn here.
"""

import math

import numpy as np

from .phrase_kernels import COUNT, LENGTH, START, compact, find_block, merge_block, rehash


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
            self.slots = rehash(self.entries, self.arena, self.n_entries, size)
        self.n_entries, self.used = merge_block(
            self.slots, self.entries, self.is_word, self.arena, self.n_entries, self.used,
            word_bytes, word_offsets, key_tokens, key_starts, key_counts, n_words,
            self.delimiter)

    def find(self, words, cand_tokens, cand_starts):
        """Whether each candidate (word indices ``cand_tokens[cand_starts[c]:
        cand_starts[c + 1]]`` of ``words``) is a key of the table."""
        word_bytes, word_offsets = _utf8(words)
        return find_block(self.slots, self.entries, self.arena, word_bytes, word_offsets,
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
        self.n_entries, self.used = compact(self.entries, self.is_word, self.arena,
                                            self.n_entries, min_count)
        self.slots = rehash(self.entries, self.arena, self.n_entries, len(self.slots))

    def items(self, min_count=1, words=False):
        """``(string, count)`` of the entries counted at least ``min_count``
        times (``words``: only those counted as words)."""
        entries = self.entries[:self.n_entries]
        keep = entries[:, COUNT] >= min_count
        if words:
            keep &= self.is_word[:self.n_entries]
        rows = entries[keep]
        arena = self.arena[:self.used].tobytes()
        starts = rows[:, START].tolist()
        ends = (rows[:, START] + rows[:, LENGTH]).tolist()
        strings = [arena[a:b].decode("utf-8", "surrogatepass")
                   for a, b in zip(starts, ends, strict=True)]
        return list(zip(strings, rows[:, COUNT].tolist(), strict=True))


def _utf8(words):
    """The UTF-8 bytes of ``words`` (str) end to end, and each one's offsets."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    word_offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=word_offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8), word_offsets
