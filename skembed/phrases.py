"""PhraseTransformer: collocation detection (gensim's ``Phrases``) as an estimator."""

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware, document_partitions, get_client, is_dask_collection
from ._fitting import clear_fitted, unfitted_on_error
from ._ragged import IndexedSequences, Ragged, offsets
from .documents import as_documents, check_string_tokens, make_tokenizer
from .word2vec.phrase_kernels import choose_phrases, phrase_candidates
from .word2vec.phrases import PhraseCounts, candidate_strings, score_phrases

__all__ = ["ENGLISH_CONNECTOR_WORDS", "PhraseTransformer"]

# gensim's English connector words: they may sit inside a phrase
# ("bank_of_america") but never start or end one
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())

# tokens counted at a time: memory holds one block of ids beside the counts
_BLOCK_TOKENS = 2_000_000


class _Level:
    """One pass's phrases and how to find them in token lists."""

    def __init__(self, phrases, connectors, delimiter):
        self.phrases, self.connectors, self.delimiter = phrases, connectors, delimiter
        self._table = None

    def apply(self, docs):
        """``docs`` (token lists) with this level's phrases joined."""
        if not self.phrases or not docs:
            return docs
        if self._table is None:  # the phrases as a table of bytes, to look candidates up
            self._table = PhraseCounts.of_strings(self.phrases, self.delimiter)
        index = _index(docs)
        keys = index.keys
        ids, starts = index.codes.ids, index.codes.starts
        first_a, first_b, _, occ_a, occ_b, occ_phrase = _candidates(index, self.connectors,
                                                                    True)
        cand_tokens, cand_starts = _runs(ids, first_a, first_b)
        known = self._table.find(keys.tolist(), cand_tokens, cand_starts)
        chosen = choose_phrases(occ_a, occ_b, known[occ_phrase])
        if not chosen.any():
            return docs
        # strings of the phrases joined only
        used, which = np.unique(occ_phrase[chosen], return_inverse=True)
        strings = np.array(candidate_strings(keys, ids, first_a[used], first_b[used],
                                             self.delimiter), dtype=object)
        flat = keys[ids]
        a, b = occ_a[chosen].astype(np.int64), occ_b[chosen].astype(np.int64)
        flat[a] = strings[which]
        inside = np.zeros(len(flat) + 1, np.int64)  # tokens joined into the one before
        np.add.at(inside, a + 1, 1)
        np.add.at(inside, b + 1, -1)
        keep = np.cumsum(inside[:-1]) == 0
        kept = np.concatenate(([0], np.cumsum(keep)))[starts]
        return Ragged(None, kept).split_list(flat[keep].tolist())


def _runs(ids, first_a, first_b):
    """The token ids ``ids[a..b]`` of each candidate, end to end, and offsets."""
    lengths = first_b.astype(np.int64) - first_a + 1
    starts = offsets(lengths)
    positions = (np.arange(int(starts[-1]), dtype=np.int64)
                 - np.repeat(starts[:-1] - first_a, lengths))
    return ids[positions], starts


def _index(docs):
    try:
        return IndexedSequences.from_sequences(docs)
    except TypeError:
        check_string_tokens(docs)  # names the document
        raise


def _candidates(index, connectors, occurrences):
    keys = index.keys.tolist()
    if not all(isinstance(k, str) for k in keys):
        check_string_tokens(index.codes.to_lists(index.keys))
    is_connector = np.fromiter((k in connectors for k in keys), bool, len(keys))
    return phrase_candidates(index.codes.ids, index.codes.starts, is_connector, occurrences)


def count_block(docs, levels, connectors, delimiter):
    """Word and candidate-phrase counts of a block of token lists (after the
    phrases of earlier ``levels`` are joined), as gensim's ``Phrases`` counts
    them (connector words are not counted as words, but are part of the
    phrases they sit in): ``(words, word_counts, cand_tokens, cand_starts,
    cand_counts, n_tokens)``, the block's distinct words with their counts
    (0 for connector words), and its distinct candidates as runs of word
    indices with theirs."""
    for level in levels:
        docs = level.apply(docs)
    if not docs:
        empty = np.zeros(0, np.int64)
        return [], empty, empty, np.zeros(1, np.int64), empty, 0
    index = _index(docs)
    first_a, first_b, cand_counts, _, _, _ = _candidates(index, connectors, False)
    words = index.keys.tolist()
    word_counts = index.counts
    if connectors:
        word_counts = np.where(np.fromiter((k in connectors for k in words), bool,
                                           len(words)), 0, word_counts)
    cand_tokens, cand_starts = _runs(index.codes.ids, first_a, first_b)
    return words, word_counts, cand_tokens, cand_starts, cand_counts, index.total


def _count_partition(partition, tokenize, levels, connectors, delimiter):
    """Counts of one partition of a Dask collection (runs on the workers)."""
    docs = [tokenize(doc, i) for i, doc in enumerate(as_documents(partition))]
    return (*count_block(docs, levels, connectors, delimiter), len(docs))


class _Counts:
    """gensim's vocabulary of one pass (words and phrases, one exact table:
    :class:`~skembed.word2vec.phrases.PhraseCounts`), pruned (counts below
    ``min_reduce`` dropped, ``min_reduce`` raised) whenever it holds more
    than ``max_vocab_size`` entries."""

    def __init__(self, max_vocab_size, delimiter):
        self.table = PhraseCounts(delimiter)
        self.max_vocab_size, self.min_reduce = max_vocab_size, 1
        self.total = self.n_documents = 0

    def add(self, words, word_counts, cand_tokens, cand_starts, cand_counts, total,
            n_documents):
        self.table.add(words, word_counts, cand_tokens, cand_starts, cand_counts)
        self.total += total
        self.n_documents += n_documents
        while len(self.table) > self.max_vocab_size:
            self.table.prune(self.min_reduce)
            self.min_reduce += 1


@dask_aware(methods=("transform",))
class PhraseTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Detect collocations ("new_york", "bank_of_america") and join them into
    single tokens.

    Phrase detection as in word2vec's ``word2phrase`` (Mikolov et al. 2013)
    and gensim's ``Phrases``: two words that follow each other (possibly with
    connector words between them) become one token when their score exceeds
    ``threshold``.  ``fit`` counts words and candidate phrases in one pass
    per level (a Numba kernel with an exact hash table over blocks of token
    ids; Dask partitions are counted on the workers); ``transform`` joins the
    phrases, left to right.  Token lists in, token lists out: put it before
    :class:`Word2VecTransformer` or :class:`Doc2VecTransformer` in a
    :class:`~sklearn.pipeline.Pipeline`.  The phrases found equal gensim's
    ``Phrases(...).export_phrases()`` on the same tokens and settings (see
    docs/benchmarks.md).

    Parameters
    ----------
    min_count : int, default=5
        Phrases counted fewer times are ignored (and, with the default score,
        ``min_count`` is subtracted from every phrase count).
    threshold : float, default=10.0
        A candidate is a phrase when its score is greater than this: a
        positive value for ``scoring="default"``, one in [-1, 1] for
        ``"npmi"``.
    scoring : {"default", "npmi"}, default="default"
        ``"default"``: ``(count(ab) - min_count) * n / (count(a) * count(b))``
        with ``n`` the number of distinct words and candidate phrases
        counted (gensim's; word2phrase uses the corpus size).  ``"npmi"``:
        normalized pointwise mutual information of ``a`` and ``b``, in
        [-1, 1] (Bouma 2009), independent of the corpus size.  ``a`` and
        ``b`` are the first and last word of the phrase.
    connector_words : {"english"}, collection of str or None, default=None
        Words that may sit inside a phrase but never start or end one
        (``"of"`` in ``"bank_of_america"``); they are not counted as words.
        ``"english"``: gensim's ``ENGLISH_CONNECTOR_WORDS`` (a, an, the, for,
        of, with, without, at, from, to, in, on, by, and, or).
    delimiter : str, default="_"
        Joins the words of a phrase.
    max_vocab_size : int, default=40,000,000
        Bound on the words and phrases held while counting: whenever more
        are held, the rarest are dropped (counts below a bound that rises by
        one each time), so memory stays bounded and counts become lower
        bounds (gensim's rule; applied after each block of about 2 million
        tokens instead of each sentence).
    passes : int, default=1
        Levels of phrases: 2 learns phrases of the joined tokens too
        (trigrams and four-grams such as "new_york_times"), as gensim's
        ``Phrases(bigram[sentences])``; each level is one pass over X.
    lowercase : bool, default=True
        Lowercase string documents before tokenizing (token lists are used
        as given).
    token_pattern : str, default=``r"(?u)\\b\\w\\w+\\b"``
        Regular expression of a token in string documents.

    Attributes
    ----------
    phrases_ : dict
        Every phrase found (the joined text) and its score, levels in order.
    phrases_per_pass_ : list of dict
        The phrases of each level.
    corpus_word_count_ : int
        Tokens counted in the first pass.

    See Also
    --------
    Word2VecTransformer : word vectors, from the joined tokens.

    Notes
    -----
    Unlike gensim's ``Phrases``, the threshold is applied in ``fit`` (as
    gensim's ``FrozenPhrases``): change it and fit again.

    Examples
    --------
    >>> from skembed import PhraseTransformer
    >>> docs = [["i", "live", "in", "new", "york"], ["new", "york", "is", "big"],
    ...         ["the", "bank", "of", "america"], ["bank", "of", "america", "and", "new",
    ...         "york"]] * 20
    >>> phrases = PhraseTransformer(min_count=2, scoring="npmi", threshold=0.9,
    ...                             connector_words="english").fit(docs)
    >>> sorted(phrases.phrases_)
    ['bank_of_america', 'i_live', 'is_big', 'new_york']
    >>> phrases.transform([["a", "bank", "of", "america", "branch", "in", "new", "york"]])
    [['a', 'bank_of_america', 'branch', 'in', 'new_york']]
    """

    _parameter_constraints = {
        "min_count": [Interval(Integral, 1, 2**40, closed="both")],
        "threshold": [Interval(Real, None, None, closed="neither")],
        "scoring": [StrOptions({"default", "npmi"})],
        "connector_words": [None, StrOptions({"english"}), list, tuple, set, frozenset],
        "delimiter": [str],
        "max_vocab_size": [Interval(Integral, 1, 2**40, closed="both")],
        "passes": [Interval(Integral, 1, 10, closed="both")],
        "lowercase": ["boolean"],
        "token_pattern": [str],
    }

    def __init__(self, min_count=5, threshold=10.0, scoring="default", connector_words=None,
                 delimiter="_", max_vocab_size=40_000_000, passes=1, lowercase=True,
                 token_pattern=r"(?u)\b\w\w+\b"):
        self.min_count = min_count
        self.threshold = threshold
        self.scoring = scoring
        self.connector_words = connector_words
        self.delimiter = delimiter
        self.max_vocab_size = max_vocab_size
        self.passes = passes
        self.lowercase = lowercase
        self.token_pattern = token_pattern

    def _connectors(self):
        if self.connector_words is None:
            return frozenset()
        if isinstance(self.connector_words, str):
            return ENGLISH_CONNECTOR_WORDS
        words = frozenset(self.connector_words)
        if not all(isinstance(w, str) for w in words):
            raise TypeError("connector_words must be strings")
        return words

    def _levels(self):
        connectors = self._connectors()
        return [_Level(p, connectors, self.delimiter) for p in self.phrases_per_pass_]

    @unfitted_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Count words and candidate phrases and keep the phrases that score
        above ``threshold`` (one pass over X per level).

        Parameters
        ----------
        X : iterable of str or of list of str, or Dask Bag or Series
            Documents: raw strings (tokenized with ``token_pattern``) or token
            lists (used as given).  A Dask collection is counted on the
            workers, partition by partition.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        clear_fitted(self)
        if not self.delimiter:
            raise ValueError("delimiter must not be empty")
        if self.scoring == "npmi" and not -1.0 <= self.threshold <= 1.0:
            raise ValueError(f"scoring='npmi' scores lie in [-1, 1]: threshold="
                             f"{self.threshold} must too")
        if self.scoring == "default" and self.threshold <= 0:
            raise ValueError(f"scoring='default' needs threshold > 0, got {self.threshold} "
                             "(as gensim)")
        connectors = self._connectors()
        tokenize = make_tokenizer(self.token_pattern, self.lowercase)
        levels = []
        if is_dask_collection(X):
            passes = self._dask_passes(X, tokenize, connectors)
        else:
            docs = as_documents(X)
            passes = self._memory_passes(docs, tokenize, connectors)
        for n_pass in range(self.passes):
            counts = passes(levels)
            if n_pass == 0:
                if counts.n_documents == 0:
                    raise ValueError("X contains no documents: fit needs at least one "
                                     "document with words")
                if counts.total == 0:
                    raise ValueError(f"all {counts.n_documents} documents are empty after "
                                     f"tokenizing: check the input or "
                                     f"token_pattern={self.token_pattern!r}")
                self.corpus_word_count_ = counts.total
            phrases = score_phrases(counts.table, self.delimiter, self.min_count,
                                    self.threshold, self.scoring, counts.total)
            del counts
            levels.append(_Level(phrases, connectors, self.delimiter))
        self.phrases_per_pass_ = [level.phrases for level in levels]
        self.phrases_ = {p: s for level in levels for p, s in level.phrases.items()}
        return self

    def _memory_passes(self, docs, tokenize, connectors):
        def count(levels):
            counts = _Counts(self.max_vocab_size, self.delimiter)
            for block in _blocks(docs, tokenize):
                counts.add(*count_block(block, levels, connectors, self.delimiter), len(block))
            return counts

        return count

    def _dask_passes(self, X, tokenize, connectors):
        import dask

        partitions = document_partitions(X, what="documents (strings or token lists)")

        def count(levels):
            counts = _Counts(self.max_vocab_size, self.delimiter)
            task = dask.delayed(functools.partial(
                _count_partition, tokenize=tokenize, levels=levels, connectors=connectors,
                delimiter=self.delimiter), pure=False)
            tasks = [task(p) for p in partitions]
            client = get_client()
            if client is None:
                results = (dask.compute(t)[0] for t in tasks)
            else:
                results = (f.result() for f in client.compute(tasks))
            for result in results:  # in partition order
                counts.add(*result)
            return counts

        return count

    def transform(self, X):
        """Join the phrases of each document, left to right (a word that ends
        a phrase does not start the next one; levels in order).

        Parameters
        ----------
        X : iterable of str or of list of str
            A Dask Bag or Series gives a lazy Bag (block-wise).

        Returns
        -------
        list of list of str
        """
        check_is_fitted(self, "phrases_")
        tokenize = make_tokenizer(self.token_pattern, self.lowercase)
        docs = as_documents(X)
        levels = self._levels()
        out = []
        for block in _blocks(docs, tokenize):
            for level in levels:
                block = level.apply(block)
            out.extend(block)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def _blocks(docs, tokenize):
    """Token lists of ``docs`` in blocks of about ``_BLOCK_TOKENS`` tokens."""
    block_tokens = _BLOCK_TOKENS
    block, n = [], 0
    for i, doc in enumerate(docs):
        tokens = tokenize(doc, i)
        block.append(tokens)
        n += len(tokens)
        if n >= block_tokens:
            yield block
            block, n = [], 0
    if block:
        yield block
