"""Vocabulary: counting, pruning, frequency order, subsampling, corpus encoding.

Everything here works on any hashable keys (words or item ids) so that the
text and item estimators share one vocabulary implementation.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .._ragged import Ragged, offsets

# Sentences longer than this are split into pieces (contexts never cross a
# piece boundary).  It bounds the per-thread buffers of the kernels; gensim
# and the C tool use the same limit (they truncate instead of splitting).
MAX_SENTENCE_LEN = 10_000


@dataclass
class Vocabulary:
    """Frequency-sorted vocabulary.

    Attributes
    ----------
    keys : list
        Keys, most frequent first (ties keep first-seen order).
    counts : ndarray of int64
        Corpus count of each key, aligned with ``keys``.
    key_to_index : dict
        Inverse of ``keys``.
    min_count : int
        The count threshold actually applied (raised above the requested
        ``min_count`` when ``max_final_vocab`` binds).
    total_words : int
        Raw number of tokens counted, including discarded ones.
    """

    keys: list
    counts: np.ndarray
    key_to_index: dict
    min_count: int
    total_words: int

    def __len__(self):
        return len(self.keys)


def count_keys(documents, max_vocab_size=None):
    """Count keys over an iterable of token sequences.

    When ``max_vocab_size`` is set, the counter is pruned while counting as
    the C tool does: whenever it holds more than ``max_vocab_size`` keys,
    keys with count <= ``min_reduce`` are dropped and ``min_reduce`` grows
    by one.  Counts of surviving keys are therefore lower bounds.

    Returns
    -------
    counter : collections.Counter
    total_words : int
    n_documents : int
    """
    counter = Counter()
    total = 0
    n_docs = 0
    min_reduce = 1
    for doc in documents:
        counter.update(doc)
        total += len(doc)
        n_docs += 1
        if max_vocab_size is not None and len(counter) > max_vocab_size:
            counter = Counter({k: c for k, c in counter.items() if c > min_reduce})
            min_reduce += 1
    return counter, total, n_docs


def finalize_vocab(counter, total_words, min_count=5, max_final_vocab=None):
    """Apply ``min_count`` / ``max_final_vocab`` and sort by frequency.

    Parameters
    ----------
    counter : Counter or dict
        Key counts (insertion order breaks frequency ties).
    total_words : int
        Raw token count, stored for reporting.
    min_count : int
        Keys seen fewer times are discarded.
    max_final_vocab : int or None
        If the vocabulary would be larger, ``min_count`` is raised (as gensim
        does) until at most this many keys remain.
    """
    keys = list(counter.keys())
    counts = np.fromiter(counter.values(), dtype=np.int64, count=len(keys))
    # stable sort: frequency descending, first occurrence breaks ties
    order = np.argsort(-counts, kind="stable")
    counts = counts[order]
    effective_min = int(min_count)
    if max_final_vocab is not None and np.sum(counts >= effective_min) > max_final_vocab:
        effective_min = max(effective_min, int(counts[max_final_vocab]) + 1)
    n_keep = int(np.searchsorted(-counts, -effective_min, side="right"))
    order = order[:n_keep]
    kept_keys = [keys[i] for i in order]
    return Vocabulary(
        keys=kept_keys,
        counts=counts[:n_keep].copy(),
        key_to_index={k: i for i, k in enumerate(kept_keys)},
        min_count=effective_min,
        total_words=int(total_words),
    )


def keep_probabilities(counts, sample):
    """Subsampling keep-probability per key, with the C tool's formula.

    ``p_keep = (sqrt(c / (sample * T)) + 1) * (sample * T) / c`` clipped to 1,
    where ``T`` is the total count of retained keys.  ``sample=0`` keeps all.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float32)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore"):  # count 0 (a pretrained-only key): keep
        p = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(p, 1.0).astype(np.float32)


class EncodedCorpus(Ragged):
    """A corpus as vocabulary indices: a :class:`~skembed._ragged.Ragged` of
    sentences (int32 ``ids``, out-of-vocabulary tokens removed, ``starts``).

    Documents longer than ``MAX_SENTENCE_LEN`` are split into several
    sentences; ``doc_of_sentence`` maps each sentence back to its input
    document.  ``file_index``: the file a piece of a streamed corpus comes
    from (one document per file).
    """

    __slots__ = ("doc_of_sentence", "n_documents", "raw_words", "file_index")

    def __init__(self, ids, starts, doc_of_sentence, n_documents, raw_words, file_index=None):
        super().__init__(ids, starts)
        self.doc_of_sentence = doc_of_sentence
        self.n_documents = n_documents
        self.raw_words = raw_words
        self.file_index = file_index

    @property
    def tokens(self):
        """``ids`` (the name :class:`~skembed.EmbeddingVectorizer` reads)."""
        return self.ids

    def documents(self):
        """The input documents (their known tokens) as a Ragged."""
        bounds = np.zeros(self.n_documents + 1, dtype=np.int64)
        np.add.at(bounds, self.doc_of_sentence + 1, self.lengths)
        return Ragged(self.ids, np.cumsum(bounds))

    @classmethod
    def from_ids(cls, ragged, max_sentence_len=MAX_SENTENCE_LEN):
        """Documents of vocabulary indices (-1: unknown, dropped) as sentences
        of at most ``max_sentence_len`` tokens (empty documents give none)."""
        flat, lengths = ragged.ids, ragged.lengths
        known = flat >= 0
        tokens = flat[known]
        # known tokens per document, without a per-token document-id temporary
        n_docs = len(lengths)
        kept_lengths = np.zeros(n_docs, dtype=np.int64)
        nonempty = np.flatnonzero(lengths)
        if len(nonempty):
            kept_lengths[nonempty] = np.add.reduceat(known, ragged.starts[:-1][nonempty],
                                                     dtype=np.int64)
        n_pieces = -(-kept_lengths // max_sentence_len)
        doc_of_sentence = np.repeat(np.arange(n_docs, dtype=np.int64), n_pieces)
        first_piece = np.cumsum(n_pieces) - n_pieces
        piece_in_doc = np.arange(len(doc_of_sentence)) - np.repeat(first_piece, n_pieces)
        piece_start = offsets(kept_lengths)[doc_of_sentence] + piece_in_doc * max_sentence_len
        starts = np.append(piece_start, len(tokens)).astype(np.int64)
        return cls(np.ascontiguousarray(tokens, dtype=np.int32), starts, doc_of_sentence,
                   n_docs, int(lengths.sum()))


def encode_corpus(documents, key_to_index, max_sentence_len=MAX_SENTENCE_LEN):
    """Encode token sequences to an :class:`EncodedCorpus` (OOV dropped)."""
    return EncodedCorpus.from_ids(Ragged.from_lists(documents, key_to_index), max_sentence_len)


def update_vocab(vocab, counter, total_words, min_count):
    """Vocabulary grown by the counts of new data (online training).

    Counts of known keys increase; unknown keys counted at least
    ``min_count`` times in the new data are appended after the existing ones,
    so the rows of known keys never move (as gensim's
    ``build_vocab(update=True)``).

    Returns
    -------
    Vocabulary, number of new keys
    """
    counts = vocab.counts.copy()
    new_keys, new_counts = [], []
    k2i = vocab.key_to_index
    for key, c in counter.items():
        i = k2i.get(key)
        if i is not None:
            counts[i] += c
        elif c >= min_count:
            new_keys.append(key)
            new_counts.append(c)
    order = np.argsort(-np.asarray(new_counts, dtype=np.int64), kind="stable")
    new_keys = [new_keys[i] for i in order]
    keys = vocab.keys + new_keys
    key_to_index = dict(vocab.key_to_index)
    for i, k in enumerate(new_keys, start=len(vocab.keys)):
        key_to_index[k] = i
    counts = np.concatenate([counts, np.asarray(new_counts, dtype=np.int64)[order]])
    return Vocabulary(keys, counts, key_to_index, vocab.min_count,
                      vocab.total_words + int(total_words)), len(new_keys)


def extend_vocab(vocab, keys):
    """``vocab`` plus the ``keys`` it lacks, appended with count 0 (keys of
    pretrained vectors that the corpus never saw: they keep their vectors
    and are never drawn as negatives)."""
    known = vocab.key_to_index
    new = [k for k in dict.fromkeys(keys) if k not in known]
    if not new:
        return vocab
    all_keys = vocab.keys + new
    key_to_index = dict(known)
    for i, k in enumerate(new, start=len(vocab.keys)):
        key_to_index[k] = i
    counts = np.concatenate([vocab.counts, np.zeros(len(new), np.int64)])
    return Vocabulary(all_keys, counts, key_to_index, vocab.min_count, vocab.total_words)
