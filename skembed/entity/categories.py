"""Categories of one column: learning them, grouping rare ones, encoding rows.

Each categorical feature gets an embedding table whose row 0 is shared by
the infrequent categories (``min_frequency``) and by categories unseen in
training (``handle_unknown="infrequent"``); each frequent category owns one
of the rows ``1..K`` in category order.  Missing values (None, NaN, pd.NA)
form their own category, listed last in ``categories``.
"""

import numpy as np
import pandas as pd

__all__ = ["ColumnCategories"]


def _as_series(col):
    if isinstance(col, pd.Series):
        return col.reset_index(drop=True)
    col = np.asarray(col)
    if col.dtype.kind in "OUS":
        return pd.Series(col, dtype=object)
    return pd.Series(col)


class ColumnCategories:
    """Learned categories of one column and their table rows.

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
    """

    def __init__(self, col, min_count, declared=False):
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
        self.has_missing = bool(missing.any())
        if self.has_missing:
            if cats.dtype.kind != "f":
                cats = cats.astype(object)
            cats = np.append(cats, np.array([np.nan], dtype=cats.dtype))
            counts = np.append(counts, missing.sum())
        self.categories = cats
        self.counts = counts
        self.infrequent = counts < min_count
        rows = np.zeros(len(cats), dtype=np.int64)
        rows[~self.infrequent] = np.arange(1, (~self.infrequent).sum() + 1)
        self.rows = rows
        self.n_rows = int((~self.infrequent).sum()) + 1
        self._index = None

    def add_counts(self, rows):
        """Count the table ``rows`` of more training rows (``partial_fit``):
        each frequent category owns one row, so its count follows."""
        per_row = np.bincount(rows, minlength=self.n_rows)
        own = ~self.infrequent
        self.counts[own] += per_row[self.rows[own]]

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
        return state

    def encode(self, col, handle_unknown, name):
        """Table row of every value of ``col`` (int32)."""
        series = _as_series(col)
        missing = series.isna().to_numpy()
        out = np.zeros(len(series), dtype=np.int32)
        index = self.index
        idx = index.get_indexer(np.asarray(series[~missing].to_numpy(), dtype=object)
                                if index.dtype == object else series[~missing].to_numpy())
        unknown = idx < 0
        if handle_unknown == "error":
            bad = list(pd.unique(series[~missing].to_numpy()[unknown]))[:5]
            if missing.any() and not self.has_missing:
                bad.append(None)
            if bad:
                raise ValueError(
                    f"Found unknown categories {bad} in column {name} during "
                    "transform; set handle_unknown='infrequent' to map them to "
                    "the shared infrequent/unknown row")
        known_rows = self.rows[np.where(unknown, 0, idx)]
        known_rows[unknown] = 0
        out[~missing] = known_rows
        if missing.any():
            out[missing] = self.rows[-1] if self.has_missing else 0
        return out
