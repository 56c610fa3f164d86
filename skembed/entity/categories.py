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
(:func:`value_anchors`).  Missing values (None, NaN, pd.NA) form their own
category, listed last in ``categories``.
"""

import numpy as np
import pandas as pd

from .spelling import spelling_predicts
from .substrings import NGRAM_RANGE, SubstringVocabulary
from .targets import category_target_sums

__all__ = ["ColumnCategories", "RARE_CATEGORY_ROWS", "SUBSTRING_MIN_CATEGORIES",
           "VALUE_ANCHOR_MIN_ROWS", "category_numbers", "category_position",
           "ngrams_per_category", "distinct_kind", "is_datetime_dtype", "value_anchors",
           "value_kind"]

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


# numeric_values="auto": a column of numbers written as categories (ZIP codes,
# product codes, hours) also goes in as its number, whose order a model can
# split; a few values that are not numbers ("unknown") are tolerated
NUMERIC_MIN_SHARE = 0.9
# categories with fewer rows than this on average are rare: only then does a
# column of codes get digit n-grams (substrings="auto"), and the network as a
# predictor its numbers (numeric_values="auto"); with more, each code's own
# row holds what its digits or its magnitude would say
RARE_CATEGORY_ROWS = 10
# a value unseen in training, in a column whose values read as numbers, dates,
# months or weekdays, takes the entity of the nearest known value among the
# categories of at least this many rows (whose embeddings are their own
# rows' and a stacked model saw on their training rows), when the column's
# order carries its embedding: its neighbours in value are on average at most
# this share of the distance between any two of them (value_anchors).  A
# month after the training ones (a time split) is then the last month seen,
# as a tree reads its number, where the shared row placed it anywhere
VALUE_ANCHOR_MIN_ROWS = 30
VALUE_ORDER_MAX_RATIO = 0.6


def ngrams_per_category(n_categories):
    """How many n-grams each of ``n_categories`` names keeps (see above)."""
    return int(np.clip(NGRAM_LINKS // max(int(n_categories), 1),
                       MIN_NGRAMS_PER_CATEGORY, MAX_NGRAMS_PER_CATEGORY))


def _as_series(col):
    if isinstance(col, pd.Series):
        return col.reset_index(drop=True)
    col = np.asarray(col)
    if col.dtype.kind in "OUS":
        return pd.Series(col, dtype=object)
    return pd.Series(col)


# a date or an instant written as a string: a four-digit year first or last,
# month and day, separated by "-", "/" or ".", optionally a time of day and a
# time zone (version numbers such as "1.2.3" are not dates)
DATE_PATTERN = (r"\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
                r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
                r"\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5})?\s*")
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
# a column of numbers or dates of fewer training rows per value than this, on
# average, and no n-grams: its values seen once share the infrequent row
# (ColumnCategories)
UNIQUE_MEAN_ROWS = 1.5
# month and weekday names (English, any case, full or three letters) read as
# their place in the year or week: a model splits their order, and a month
# never seen in training (a time split) lands beside its neighbours
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CALENDAR = [{n[:k]: float(i + 1) for i, n in enumerate(names) for k in (3, len(n))}
             for names in (_MONTHS, _WEEKDAYS)]


def is_datetime_dtype(dtype):
    """Whether ``dtype`` holds datetimes (numpy or pandas, with a time zone or not)."""
    return dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype)


def _days(values):
    """Dates (strings or datetimes) as days since 1970-01-01 (UTC; naive times
    read as UTC), NaN where a value does not read as a date.  ISO 8601 first
    (any precision, "2019-03-23" beside "2019-03-23 20:21:09"); the values it
    leaves are read in the format pandas infers from the first of them, in
    one vectorised pass (values in a third format read as missing)."""
    import warnings

    values = pd.Series(np.asarray(values, dtype=object))
    out = np.full(len(values), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' notes on inferring the format
        for fmt in ("ISO8601", None):
            left = np.flatnonzero(np.isnan(out))
            if not len(left):
                break
            # the inferred format: month first, or day first where that reads
            # more of the values ("13/05/2016"; ties stay month first)
            best = None
            for dayfirst in (False, True):
                try:
                    stamps = pd.to_datetime(values.iloc[left], errors="coerce", utc=True,
                                            format=fmt, dayfirst=dayfirst)
                except (ValueError, TypeError, OverflowError):
                    continue
                days = ((stamps - _EPOCH) / pd.Timedelta(days=1)).to_numpy(
                    dtype=np.float64, na_value=np.nan)
                if best is None or np.isfinite(days).sum() > np.isfinite(best).sum():
                    best = days
                if fmt is not None:
                    break  # ISO 8601 has one order
            if best is not None:
                out[left] = best
    return out


def _by_distinct(series, read):
    """``read`` (distinct values -> float64 array) applied once per distinct
    value of ``series`` and spread back to its rows; NaN where missing."""
    codes, uniques = pd.factorize(series)  # missing values: code -1
    if not len(uniques):
        return np.full(len(codes), np.nan)
    values = np.asarray(read(uniques), dtype=np.float64)
    return np.where(codes >= 0, values[np.maximum(codes, 0)], np.nan)


def category_numbers(col, kind="number"):
    """Each value of ``col`` read as a number (float64): NaN for a missing
    value and for one that does not read as a finite number.  Strings are
    read once per distinct value.  ``kind="date"`` reads dates (strings or
    datetimes) as days since 1970-01-01 instead, ``"month"`` and ``"weekday"``
    names as their place in the year or week (see :func:`value_kind`)."""
    series = _as_series(col)
    dtype = series.dtype
    if kind == "date" or is_datetime_dtype(dtype):
        out = _by_distinct(series, _days)
    elif kind in ("month", "weekday"):
        names = _CALENDAR[kind == "weekday"]
        out = _by_distinct(series, lambda uniques: np.array(
            [names.get(_calendar_key(v), np.nan) for v in uniques], dtype=np.float64))
    elif pd.api.types.is_bool_dtype(dtype) or (pd.api.types.is_numeric_dtype(dtype)
                                               and not isinstance(dtype, pd.CategoricalDtype)):
        out = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        out = _by_distinct(series, lambda uniques: pd.to_numeric(
            pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip(),
            errors="coerce").to_numpy(dtype=np.float64))
    out = np.asarray(out, dtype=np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def _mostly(distinct, reads):
    """Whether at least ``NUMERIC_MIN_SHARE`` of the ``distinct`` values read
    (``reads(values)``: a boolean mask), reading a growing prefix: a column
    of words (names, titles) shows more misses than allowed after a few
    thousand values, and reading stops there."""
    n = len(distinct)
    allowed = n - int(np.ceil(NUMERIC_MIN_SHARE * n))  # values that may not read
    done, misses, chunk = 0, 0, 1024
    while done < n:
        part = reads(distinct[done:done + chunk])
        misses += int(np.count_nonzero(~part))
        if misses > allowed:
            return False
        done, chunk = done + len(part), chunk * 2
    return True


def _read_as_numbers(values):
    return np.isfinite(category_numbers(pd.Series(values, dtype=object)))


def _read_as_dates(values):
    text = pd.Series(values, dtype=object)
    looks = np.array([isinstance(v, str) for v in values], dtype=bool)
    if looks.any():
        looks[looks] = text[looks].str.fullmatch(DATE_PATTERN).to_numpy(dtype=bool)
    if not looks.any():
        return looks
    return looks & np.isfinite(_days(values))


def _calendar_key(value):
    return value.strip().lower() if isinstance(value, str) else None


def _calendar_kind(distinct):
    """``"month"`` or ``"weekday"`` when every distinct value is such a name."""
    if len(distinct) > 12:
        return None
    keys = {_calendar_key(v) for v in distinct}
    for kind, names in zip(("month", "weekday"), _CALENDAR, strict=True):
        if keys <= names.keys():
            return kind
    return None


def distinct_kind(distinct):
    """:func:`value_kind` of the distinct non-missing values of a column (as
    ``pd.unique`` returns them: a datetime column keeps its dtype)."""
    if len(distinct) <= 2:
        return None
    if is_datetime_dtype(getattr(distinct, "dtype", None)):
        return "date"
    if _mostly(distinct, _read_as_numbers):
        return "number"
    calendar = _calendar_kind(distinct)
    if calendar is not None:
        return calendar
    if pd.api.types.infer_dtype(distinct, skipna=True) in ("datetime", "datetime64", "date"):
        return "date"
    if _mostly(distinct, _read_as_dates):
        return "date"
    return None


def value_kind(col):
    """What the values of a column read as (``numeric_values="auto"``):
    ``"number"`` when at least ``NUMERIC_MIN_SHARE`` of its distinct
    non-missing values read as finite numbers, ``"date"`` when they read as
    dates (a datetime dtype, or strings with a four-digit year such as
    "2019-03-23 20:21:09" or "09/22/1986"), ``"month"`` or ``"weekday"``
    when every one is an English month or weekday name, full or of three
    letters, in any case ("March", "mar"; read as 1-12 or 1-7 from Monday),
    else None; None too for two
    distinct values or fewer.  The values are read in a growing prefix,
    which stops once more fail than the 10 % allowed."""
    return distinct_kind(pd.unique(_as_series(col).dropna()))


def value_anchors(cats, kind, vectors):
    """The categories that place unseen values of their column by value, as
    ``(values, entities)`` sorted by value, or None (``VALUE_ANCHOR_MIN_ROWS``).

    Parameters
    ----------
    cats : ColumnCategories
    kind : str or None
        What the column's values read as (:func:`value_kind`); None: no anchors.
    vectors : ndarray of shape (n_categories, d)
        The embedding of every category, in order (``embeddings_``).
    """
    if kind is None:
        return None
    m = len(cats.categories) - cats.has_missing
    values = category_numbers(pd.Series(cats.categories[:m]), kind)
    ok = np.flatnonzero(~cats.infrequent[:m] & (cats.counts[:m] >= VALUE_ANCHOR_MIN_ROWS)
                        & np.isfinite(values))
    if len(ok) < 3:
        return None
    ok = ok[np.argsort(values[ok], kind="stable")]
    vec = np.asarray(vectors, dtype=np.float64)[ok]
    step = np.linalg.norm(np.diff(vec, axis=0), axis=1).mean()
    some = vec[np.linspace(0, len(vec) - 1, min(len(vec), 1000)).astype(np.int64)]
    sq = (some ** 2).sum(axis=1)
    pairs = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * some @ some.T, 0))
    spread = pairs.sum() / max(len(some) * (len(some) - 1), 1)
    if not spread > 0 or step > VALUE_ORDER_MAX_RATIO * spread:
        return None
    return values[ok], (ok + 1).astype(np.int32)


def _nearest(sorted_values, values):
    """Index into ``sorted_values`` of the nearest to each of ``values`` (the
    lower one on ties)."""
    right = np.clip(np.searchsorted(sorted_values, values), 0, len(sorted_values) - 1)
    left = np.maximum(right - 1, 0)
    closer_left = np.abs(values - sorted_values[left]) <= np.abs(sorted_values[right] - values)
    return np.where(closer_left, left, right)


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
        series = _as_series(col)
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
        self.infrequent = counts < min_count
        rows = np.zeros(len(cats), dtype=np.int64)
        rows[~self.infrequent] = np.arange(1, (~self.infrequent).sum() + 1)
        self.rows = rows
        self.n_own_rows = int((~self.infrequent).sum()) + 1
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
            self.infrequent |= counts < 2
            rows = np.zeros(len(cats), dtype=np.int64)
            rows[~self.infrequent] = np.arange(1, (~self.infrequent).sum() + 1)
            self.rows = rows
            self.n_own_rows = int((~self.infrequent).sum()) + 1
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
        series = _as_series(col)
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
            entities[where[placed]] = anchors[1][_nearest(anchors[0], read[placed])]
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
