"""Categories of one column: learning them, grouping rare ones, encoding rows.

Each categorical feature gets an embedding table.  Its row 0 is shared by
the infrequent categories (``min_frequency``) and by categories unseen in
training (``handle_unknown="infrequent"``); each frequent category owns one
of the rows ``1..K`` in category order; a column of strings may add one row
per character n-gram shared by several of its categories (``substrings``).

Rows encode to *entities*, each a weighted sum of table rows (see
:mod:`.kernels`): entity 0 is the shared row alone; entity ``1 + i`` is
category ``i``: its own row (row 0 for an infrequent one) plus the mean of
its n-gram rows.  A value unseen in training becomes an entity of its own
for the call that meets it, the shared row plus the mean of the rows of its
known n-grams, so that "Police Officer IV" starts where "Police Officer
III" is; for the encoder, an unseen value of a column whose embeddings
follow its values' order takes the entity of the nearest known value
(:func:`.values.value_anchors`).  Missing values (None, NaN, pd.NA) form their own
category, listed last in ``categories``.
"""

import numpy as np
import pandas as pd

from .spelling import spelling_predicts
from .substrings import NGRAM_RANGE, SubstringVocabulary
from .targets import category_target_sums
from .values import (
    as_series,
    category_numbers,
    nearest_value,
    value_anchors,
)

__all__ = ["ColumnCategories", "RARE_CATEGORY_ROWS", "SUBSTRING_MIN_CATEGORIES",
           "category_position", "ngrams_per_category", "own_rows_only"]

# substrings="auto": string columns with more distinct values than this get
# n-gram rows (skrub's TableVectorizer calls a column high-cardinality above 40)
SUBSTRING_MIN_CATEGORIES = 40
# an n-gram gets a row when this many categories share it
NGRAM_MIN_CATEGORIES = 10
# at most this many n-gram rows per column (the ones most categories share)
MAX_NGRAMS = 20_000
# a category sums at most this many n-gram rows (bottom-k MinHash: the ones
# of smallest hash, so that similar strings keep the same ones): between the
# two bounds, as many as keep a column's category-to-n-gram links near
# NGRAM_LINKS (memory and training time), so that a column of a few thousand
# long strings (free text) keeps most of their n-grams and one of tens of
# thousands of names a sketch of each
MIN_NGRAMS_PER_CATEGORY = 32
MAX_NGRAMS_PER_CATEGORY = 256
NGRAM_LINKS = 250_000


# categories with fewer rows than this on average are rare: only then does a
# column of codes get digit n-grams (substrings="auto"), and the network as a
# predictor its numbers (numeric_values="auto"); with more, each code's own
# row holds what its digits or its magnitude would say
RARE_CATEGORY_ROWS = 10


def own_rows_only(entities):
    """Local entities ``(ptr, rows, weights)`` without their n-gram rows: each
    its own row (the first of its rows) alone."""
    ptr, rows, _ = entities
    k = len(ptr) - 1
    return (np.arange(k + 1, dtype=np.int64), rows[ptr[:-1]].astype(np.int64),
            np.ones(k, dtype=np.float32))


def ngrams_per_category(n_categories):
    """How many n-grams each of ``n_categories`` names keeps (see above)."""
    return int(np.clip(NGRAM_LINKS // max(int(n_categories), 1),
                       MIN_NGRAMS_PER_CATEGORY, MAX_NGRAMS_PER_CATEGORY))


# a column of numbers or dates of fewer training rows per value than this, on
# average, and no n-grams: its values seen once share the infrequent row
# (ColumnCategories)
UNIQUE_MEAN_ROWS = 1.5
def _all_strings(values):
    return len(values) > 0 and all(isinstance(v, str) for v in values)


class ColumnCategories:
    """Learned categories of one column, their table rows and entities.

    Parameters
    ----------
    col : array-like or Series
    min_count : int
        Categories seen fewer times share row 0.
    declared : bool
        Take every category of a pandas ``category`` dtype (partial_fit).
    substrings : bool
        Give the column's character n-grams rows (strings only; a column of
        other values ignores it).
    n_threads : int
        Threads that cut the names into n-grams.
    target : tuple (y_fit, task) or None
        The training target: with it, the column keeps its n-grams only
        where they predict held-out names' targets
        (:mod:`~skembed.entity.spelling`).

    Attributes
    ----------
    categories : ndarray
        Sorted categories (order of a pandas ``category`` dtype when given);
        the missing category (NaN) last when seen in training.
    counts : ndarray of int64
        Training count of each category.
    rows : ndarray of int64
        Table row of each category (0 for infrequent ones).
    infrequent : ndarray of bool
    n_own_rows : int
        Row 0 and the rows of the frequent categories.
    n_rows : int
        Rows of the table: ``n_own_rows`` plus one per n-gram.
    n_ngrams : int
        Rows of n-grams (rows ``n_own_rows ..``; 0 without substrings).
    """

    def __init__(self, col, min_count, declared=False, substrings=False, n_threads=1,
                 target=None, values=False):
        series = as_series(col)
        missing = series.isna().to_numpy()
        present = series[~missing]
        if declared and isinstance(series.dtype, pd.CategoricalDtype):
            # every category of the dtype, seen in this column or not (partial_fit)
            uniques = series.cat.categories
            codes = uniques.get_indexer(present)
        else:
            try:
                codes, uniques = pd.factorize(present, sort=True)
            except TypeError:  # mixed, unorderable types: order of appearance
                codes, uniques = pd.factorize(present, sort=False)
        cats = np.asarray(uniques)
        counts = np.bincount(codes, minlength=len(cats)).astype(np.int64)
        known = cats
        self.has_missing = bool(missing.any())
        if self.has_missing:
            if cats.dtype.kind != "f":
                cats = cats.astype(object)
            cats = np.append(cats, np.array([np.nan], dtype=cats.dtype))
            counts = np.append(counts, missing.sum())
        self.categories = cats
        self.counts = counts
        # the entities of the fitted column itself, for take_fit_codes (not kept)
        fit_codes = np.zeros(len(series), dtype=np.int32)
        fit_codes[~missing] = codes + 1
        fit_codes[missing] = len(cats)
        self._fit_codes = fit_codes
        self._vocabulary, self.n_ngrams = None, 0
        grams = self._fit_ngrams(known, n_threads) if substrings and _all_strings(known) \
            else None
        m = len(known)
        if grams is not None and target is not None and not declared:
            # substrings="auto": n-grams kept only where spelling predicts
            # held-out names, not for ids (row ids, tail numbers), whose n-gram
            # rows would learn their own rows' noise: rows that every row
            # trained, which a category's out-of-fold vector leans on
            y_fit, task = target
            sums = category_target_sums(np.asarray(y_fit)[~missing], task, codes, m)
            if not spelling_predicts(grams[0][:m + 1], grams[1][:grams[0][m]],
                                     self.n_ngrams, counts[:m], sums):
                self._vocabulary, self.n_ngrams, grams = None, 0, None
        infrequent = counts < min_count
        if (values and grams is None and m and not declared
                and counts[:m].mean() < UNIQUE_MEAN_ROWS):
            # values read as numbers or dates, nearly one row each (timestamps)
            # and no n-grams: a row of its own would only learn its one row's
            # target, pulling the other features' training toward it, and a
            # repeat is a coincidence, not the same entity again (taxi tips'
            # pickup times: encoder + HGB 0.692 -> 0.696, docs/benchmarks.md);
            # values seen once share the infrequent row (out of fold they get
            # it anyway).  Ids written as strings keep their rows: a host seen
            # once may list again
            infrequent |= counts < 2
        self.infrequent = infrequent
        rows = np.zeros(len(cats), dtype=np.int64)
        rows[~infrequent] = np.arange(1, (~infrequent).sum() + 1)
        self.rows = rows
        self.n_own_rows = int((~infrequent).sum()) + 1
        self.n_rows = self.n_own_rows + self.n_ngrams
        self.anchors, self.value_kind = None, None  # set_anchors, after training
        self._index = None
        self._known = self._entities(grams, self.rows)

    # -- substrings ---------------------------------------------------------------
    def _fit_ngrams(self, strings, n_threads=1):
        """Learn the n-grams of ``strings`` (the known categories); returns
        ``(indptr, ngram rows)`` of the categories (missing one included, with
        none) or None."""
        strings = list(strings)
        vocab = SubstringVocabulary(NGRAM_RANGE, NGRAM_MIN_CATEGORIES, MAX_NGRAMS,
                                    ngrams_per_category(len(strings)))
        m = vocab.fit_matrix(strings, n_threads)
        if m is None:  # no n-gram shared by enough categories
            return None
        self._vocabulary = vocab
        self.n_ngrams = len(vocab.hashes)
        indptr, grams = m
        if self.has_missing:  # the missing category has no spelling
            indptr = np.append(indptr, indptr[-1])
        return indptr, grams

    def drop_ngrams(self):
        """Forget the n-gram rows: the network read better without them
        (``substrings="auto"``, :meth:`TrainingMixin._train`)."""
        self._vocabulary, self.n_ngrams = None, 0
        self.n_rows = self.n_own_rows
        self._known = own_rows_only(self._known)

    def _ngram_matrix(self, strings):
        return self._vocabulary.matrix(list(strings))

    def _entities(self, ngrams, own_rows):
        """Entities ``[shared row] + one per own row`` as local CSR arrays
        (ptr, rows, weights): each the own row plus the mean of its n-gram
        rows (``ngrams``: ``(indptr, ngram rows)`` per own row, or None)."""
        k = len(own_rows)
        if ngrams is None:
            ptr = np.arange(k + 2, dtype=np.int64)
            rows = np.concatenate(([0], own_rows)).astype(np.int64)
            return ptr, rows, np.ones(k + 1, dtype=np.float32)
        indptr, grams = ngrams
        n_grams = np.diff(indptr)
        sizes = np.concatenate(([1], 1 + n_grams))
        ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        rows = np.empty(ptr[-1], dtype=np.int64)
        weights = np.empty(ptr[-1], dtype=np.float32)
        rows[0], weights[0] = 0, 1.0
        first = ptr[1:-1]
        rows[first] = own_rows
        weights[first] = 1.0
        rest = np.ones(ptr[-1], dtype=bool)
        rest[0] = False
        rest[first] = False
        rows[rest] = self.n_own_rows + grams
        weights[rest] = np.repeat(1.0 / np.maximum(n_grams, 1), n_grams)
        return ptr, rows, weights

    def set_anchors(self, kind, vectors):
        """Place unseen values by the nearest known value from now on, where
        :func:`value_anchors` finds the column's order in its embeddings
        (``vectors``: the categories', in order)."""
        self.anchors = value_anchors(self, kind, vectors)
        self.value_kind = kind if self.anchors is not None else None

    # -- counts -------------------------------------------------------------------
    def add_counts(self, codes):
        """Count the entities ``codes`` of more training rows (``partial_fit``)."""
        per_entity = np.bincount(codes[codes > 0], minlength=len(self.categories) + 1)
        self.counts += per_entity[1:len(self.categories) + 1]

    @property
    def index(self):
        """pandas Index of the known (non-missing) categories, built on use and
        not stored (it is rebuilt after pickling or skops)."""
        if getattr(self, "_index", None) is None:
            self._index = pd.Index(self.categories[:len(self.categories) - self.has_missing])
        return self._index

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None
        state.pop("_fit_codes", None)
        return state

    def take_fit_codes(self):
        """What :meth:`encode` returns for the column given to the
        constructor, once (the factorisation of the fit is reused, not
        repeated); None after the first call."""
        codes = self.__dict__.pop("_fit_codes", None)
        return None if codes is None else (codes, self._known)

    @property
    def known_entities(self):
        """(ptr, rows, weights) of entity 0 and the known categories."""
        return self._known

    def encode(self, col, handle_unknown, name, by_value=False):
        """Entity of every value of ``col`` (int32) and the entities of this
        call as local CSR arrays (the known ones, then one per distinct
        unseen string when the column has n-grams).  ``by_value``: an unseen
        value takes the entity of the nearest known one where the column has
        anchors (:meth:`set_anchors`)."""
        series = as_series(col)
        missing = series.isna().to_numpy()
        out = np.zeros(len(series), dtype=np.int32)
        index = self.index
        values = series[~missing].to_numpy()
        idx = index.get_indexer(np.asarray(values, dtype=object)
                                if index.dtype == object else values)
        unknown = idx < 0
        if handle_unknown == "error":
            bad = list(pd.unique(values[unknown]))[:5]
            if missing.any() and not self.has_missing:
                bad.append(None)
            if bad:
                raise ValueError(
                    f"Found unknown categories {bad} in column {name} during "
                    "transform; set handle_unknown='infrequent' to map them to "
                    "the shared infrequent/unknown row")
        entities = (idx + 1).astype(np.int32)
        entities[unknown] = 0
        anchors = getattr(self, "anchors", None) if by_value else None  # (older pickles)
        if anchors is not None and unknown.any():  # by the nearest known value
            where = np.flatnonzero(unknown)
            read = category_numbers(series[~missing].iloc[where], self.value_kind)
            placed = np.isfinite(read)
            entities[where[placed]] = anchors[1][nearest_value(anchors[0], read[placed])]
            unknown[where[placed]] = False
        comp = self._known
        if self._vocabulary is not None and unknown.any():
            new = values[unknown]
            strings = np.array([v if isinstance(v, str) else str(v) for v in new],
                               dtype=object)
            uniq, inverse = np.unique(strings, return_inverse=True)
            base = len(comp[0]) - 1
            entities[unknown] = base + inverse.ravel()
            ptr, rows, weights = self._entities(self._ngram_matrix(uniq),
                                                np.zeros(len(uniq), dtype=np.int64))
            comp = (np.concatenate((comp[0], comp[0][-1] + ptr[2:] - 1)),
                    np.concatenate((comp[1], rows[1:])),
                    np.concatenate((comp[2], weights[1:])))
        out[~missing] = entities
        if missing.any():
            out[missing] = len(self.categories) if self.has_missing else 0
        return out, comp


def category_position(categories, value):
    """Index of ``value`` among ``categories`` (missing values match the
    missing category), or None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        missing = pd.isna(categories)
        return int(np.flatnonzero(missing)[0]) if missing.any() else None
    for i, c in enumerate(categories):
        try:
            if c == value:
                return i
        except (TypeError, ValueError):
            continue
    return None
