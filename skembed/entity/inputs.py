"""Input columns of the entity predictors: which are categorical, the
numbers as float64, and the crosses of pairs of them (a mixin of
:class:`~skembed.entity.estimators._EntityEmbeddingPredictor`)."""

import numpy as np
import pandas as pd

from .._frames import is_dataframe
from .._validation import check_min_frequency
from .categories import ColumnCategories
from .crosses import fit_crosses
from .values import has_time_of_day, hour_and_weekday, is_datetime_dtype, numbers_or_days

__all__ = ["InputsMixin", "is_categorical_dtype"]


def is_categorical_dtype(dtype):
    """Whether ``categorical_features="auto"`` embeds a column of ``dtype``."""
    # datetimes too: an instant is read as a date (its number, numeric_values)
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype) or is_datetime_dtype(dtype))


class InputsMixin:
    """``categorical_features``, numeric columns and ``crosses``."""

    def _categorical_mask(self, X, columns):
        spec = self.categorical_features
        p = len(columns)
        if spec is None:
            return np.zeros(p, dtype=bool)
        if isinstance(spec, str):
            if spec != "auto":
                raise ValueError("categorical_features must be 'auto', None or an "
                                 f"array-like of names, indices or booleans, got {spec!r}")
            if is_dataframe(X):
                return np.array([is_categorical_dtype(c.dtype) for c in columns], bool)
            return np.full(p, columns[0].dtype.kind in "OUS" if p else False)
        spec = np.asarray(spec)
        if spec.ndim != 1:
            raise ValueError("categorical_features must be 1-D")
        if spec.dtype.kind == "b":
            if len(spec) != p:
                raise ValueError(f"categorical_features mask has {len(spec)} entries, X has "
                                 f"{p} features")
            return spec.copy()
        mask = np.zeros(p, dtype=bool)
        if spec.size == 0:
            return mask
        if spec.dtype.kind in "iu":
            if spec.min() < -p or spec.max() >= p:
                raise ValueError(f"categorical_features index out of range for {p} "
                                 f"features: {spec.tolist()}")
            mask[spec] = True
            return mask
        if spec.dtype.kind in "OU":
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError("categorical_features names need X with string column "
                                 "names (a DataFrame); pass indices or a mask instead")
            names = list(names)
            missing = [s for s in spec if s not in names]
            if missing:
                raise ValueError(f"categorical_features {missing} are not columns of X")
            mask[[names.index(s) for s in spec]] = True
            return mask
        raise ValueError("categorical_features must contain names, ints or booleans, "
                         f"got dtype {spec.dtype}")

    def _numeric(self, columns, n):
        """The numeric features as float64 (dates as days), and the positions
        of the dates among them."""
        cols = [columns[j] for j in np.flatnonzero(~self.is_categorical_)]
        xnum = np.empty((n, len(cols)), dtype=np.float64)
        dates = []
        for k, col in enumerate(cols):
            j = np.flatnonzero(~self.is_categorical_)[k]
            name = self._feature_name(j)
            dtype = np.asarray(col[:0] if hasattr(col, "iloc") else col).dtype
            if dtype.kind == "m":
                raise ValueError(
                    f"column {name} holds time spans (timedelta); convert it to numbers "
                    "(e.g. col.dt.total_seconds())")
            if is_datetime_dtype(getattr(col, "dtype", dtype)):  # days since 1970
                dates.append(k)
            try:
                xnum[:, k] = numbers_or_days(col)
            except (TypeError, ValueError):
                raise ValueError(
                    f"column {name} is not numeric; list it in categorical_features to "
                    "embed it") from None
            if np.isinf(xnum[:, k]).any():
                raise ValueError(
                    f"column {name} holds infinite values; clip or drop them (missing "
                    "values, NaN, are fine: they are imputed and flagged)")
        return xnum, dates

    def _numeric_instant_parts(self, xnum, dates, fit=False):
        """The hour of the day and day of the week (n, 2 k) of the numeric
        features of instants: datetimes with a time of day that
        ``categorical_features`` leaves numeric (a trend in days), as the
        categorical ones give theirs (``_time_parts``).  ``dates``: the
        positions of the datetime features among the numeric ones; ``fit``
        decides which are instants (``_numeric_time_parts``)."""
        if fit:
            self._numeric_time_parts = np.array(
                [k for k in dates if has_time_of_day(xnum[:, k])], dtype=np.int64)
        parts = getattr(self, "_numeric_time_parts", np.zeros(0, np.int64))
        out = np.empty((xnum.shape[0], 2 * len(parts)), dtype=np.float64)
        for r, k in enumerate(parts):
            out[:, 2 * r], out[:, 2 * r + 1] = hour_and_weekday(xnum[:, k])
        return out

    def _fit_crosses(self, columns, n, target):
        """Crossed pairs of features (``crosses``): one more categorical
        feature each, after the input's (:mod:`~skembed.entity.crosses`);
        returns their columns."""
        names = [self._feature_name(j) for j in range(len(columns))]
        self._crosses = fit_crosses(self.crosses, columns, names, target,
                                    self.is_categorical_)
        min_count = check_min_frequency(self.min_frequency, n)
        cross_cols = [cross.column(columns) for cross in self._crosses]
        for cross, col in zip(self._crosses, cross_cols, strict=True):
            self._categories.append(ColumnCategories(col, min_count))
            self._cat_names.append(cross.name)
            self._read_kinds.append(None)
            self._value_kinds.append("number")
        self.numeric_values_ = np.concatenate(
            [self.numeric_values_, np.zeros(len(self._crosses), dtype=bool)])
        self.crosses_ = [tuple(names[j] for j in c.features) for c in self._crosses]
        return cross_cols
