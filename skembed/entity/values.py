"""What the categories of a column read as: numbers (codes written as
strings), dates (days since 1970-01-01), months or weekdays; their numbers
(``numeric_values``), and the nearest known value of an unseen one
(``handle_unknown``: :func:`value_anchors`)."""

import numpy as np
import pandas as pd

__all__ = ["DATE_PATTERN", "NUMERIC_MIN_SHARE", "VALUE_ANCHOR_MIN_ROWS",
           "VALUE_ORDER_MAX_RATIO", "as_series", "category_numbers", "distinct_kind",
           "has_time_of_day", "hour_and_weekday", "is_datetime_dtype", "nearest_value",
           "numbers_or_days", "value_anchors", "value_kind"]

# numeric_values="auto": a column of numbers written as categories (ZIP codes,
# product codes, hours) also goes in as its number, whose order a model can
# split; a few values that are not numbers ("unknown") are tolerated
NUMERIC_MIN_SHARE = 0.9
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


# a date or an instant written as a string: a four-digit year first or last,
# month and day, separated by "-", "/" or ".", optionally a time of day and a
# time zone (version numbers such as "1.2.3" are not dates)
DATE_PATTERN = (r"\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
                r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
                r"\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5})?\s*")
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
# month and weekday names (English, any case, full or three letters) read as
# their place in the year or week: a model splits their order, and a month
# never seen in training (a time split) lands beside its neighbours
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CALENDAR = [{n[:k]: float(i + 1) for i, n in enumerate(names) for k in (3, len(n))}
             for names in (_MONTHS, _WEEKDAYS)]


def as_series(col):
    """A column as a pandas Series (index dropped; strings as objects)."""
    if isinstance(col, pd.Series):
        return col.reset_index(drop=True)
    col = np.asarray(col)
    if col.dtype.kind in "OUS":
        return pd.Series(col, dtype=object)
    return pd.Series(col)


def is_datetime_dtype(dtype):
    """Whether ``dtype`` holds datetimes (numpy or pandas, with a time zone or not)."""
    return dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype)


def numbers_or_days(col):
    """A numeric feature's values as float64, missing ones NaN: datetimes as
    days since 1970 (:func:`category_numbers`), anything else as its numbers
    (raises ``TypeError`` or ``ValueError`` where they are not numbers)."""
    if is_datetime_dtype(getattr(col, "dtype", None)):
        return category_numbers(col, "date")
    if hasattr(col, "to_numpy"):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(col, dtype=np.float64)


def has_time_of_day(days):
    """Whether some finite value of ``days`` (days since 1970) has a time of
    day: a feature of instants, which gives its hour and weekday."""
    days = np.asarray(days, dtype=np.float64)
    days = days[np.isfinite(days)]
    return bool(len(days) and np.any(days != np.floor(days)))


def hour_and_weekday(days):
    """The hour of the day (fractional) and the day of the week (1-7 from
    Monday, as weekday names read) of instants given as days since
    1970-01-01 (a Thursday): two float64 arrays, NaN where ``days`` is."""
    whole = np.floor(days)
    return (days - whole) * 24.0, (whole + 3.0) % 7.0 + 1.0


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
                if fmt is not None or np.isfinite(best).all():
                    break  # ISO 8601 has one order; month first read them all
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
    series = as_series(col)
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
    return distinct_kind(pd.unique(as_series(col).dropna()))


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


def nearest_value(sorted_values, values):
    """Index into ``sorted_values`` of the nearest to each of ``values`` (the
    lower one on ties)."""
    right = np.clip(np.searchsorted(sorted_values, values), 0, len(sorted_values) - 1)
    left = np.maximum(right - 1, 0)
    closer_left = np.abs(values - sorted_values[left]) <= np.abs(sorted_values[right] - values)
    return np.where(closer_left, left, right)
