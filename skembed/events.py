"""Event logs to item sequences: :func:`sequences_from_events` (pandas,
polars or Dask) and the sessions of a log as a Ragged of row positions
(:func:`event_sessions`, shared with :mod:`skembed.model_selection`)."""

import numbers

import numpy as np
import pandas as pd

from ._dask import dask_kind
from ._frames import to_pandas
from ._ragged import Ragged

__all__ = ["event_sessions", "log_sessions", "sequences_from_events"]


def _session_gap(session_gap, times):
    """``session_gap`` as a Timedelta (datetime times) or a number of seconds
    (numeric times); strings such as ``"30min"`` are durations."""
    if isinstance(session_gap, (bool, np.bool_)):
        raise TypeError("session_gap must be a duration or a number, got a bool")
    if isinstance(session_gap, str) or hasattr(session_gap, "total_seconds"):
        try:
            gap = pd.Timedelta(session_gap)
        except ValueError:
            raise ValueError(f"session_gap {session_gap!r} is not a duration") from None
    elif isinstance(session_gap, numbers.Real):
        gap = pd.Timedelta(seconds=float(session_gap))
    else:
        raise TypeError(f"session_gap must be a duration or a number, got "
                        f"{type(session_gap).__name__}")
    if gap < pd.Timedelta(0):
        raise ValueError(f"session_gap must not be negative, got {session_gap!r}")
    if pd.api.types.is_datetime64_any_dtype(times):
        return gap
    return gap.total_seconds()  # numeric times are seconds


def sequences_from_events(df, user_col, item_col, time_col=None, session_gap=None):
    """Turn an event log into ordered item sequences.

    Parameters
    ----------
    df : pandas.DataFrame, polars.DataFrame or dask.dataframe.DataFrame
        One row per interaction.  A Dask DataFrame gives lazy results (see
        Returns).
    user_col, item_col : str
        Columns with the user (or session) id and the item id.
    time_col : str, optional
        Column used to order each user's events (stable sort, so ties keep
        the row order); without it the row order is used.  Numbers or
        datetimes; missing times and strings (which would sort as text) are
        errors.
    session_gap : pandas.Timedelta, timedelta, str or float, optional
        Start a new sequence when consecutive events of a user are more than
        this far apart: a duration (``"30min"``) or a number of seconds.
        Numeric times are taken as seconds.  Requires ``time_col``; must not
        be negative.

    Returns
    -------
    sequences : list of list
        Item ids in time order, users in sorted order.
    keys : list
        The user id of each sequence, or ``(user, session_number)`` tuples
        when ``session_gap`` is given.

    With a Dask DataFrame, ``sequences`` and ``keys`` are two Dask Series
    of the same partitions, indexed by user id (sorted, known divisions):
    the log is sorted by user with ``set_index`` (a shuffle; finding its
    divisions reads the user column once at call time), then each
    partition, which holds all the events of its users, is turned into
    sequences as above.  Row order for ties is the order in the Dask
    DataFrame (partition, then row), so the computed values equal the
    in-memory result of the computed log.  ``sequences`` goes straight to
    :meth:`ItemSequenceEmbedder.fit` or a recommender's ``recommend``
    (whose result is then indexed by user); compute both at once with
    ``dask.compute(sequences, keys)`` to sort once.  Missing times are
    reported when the partitions are computed.

    Examples
    --------
    >>> import pandas as pd
    >>> from skembed import sequences_from_events
    >>> log = pd.DataFrame({"user": [1, 1, 2, 1], "item": ["a", "b", "c", "d"],
    ...                     "t": [0, 10, 5, 5000]})
    >>> sequences_from_events(log, "user", "item", "t", session_gap=600)
    ([['a', 'b'], ['d'], ['c']], [(1, 0), (1, 1), (2, 0)])
    """
    kind, data, gap = _checked_log(df, user_col, item_col, time_col, session_gap)
    if kind is None:
        return _sequences(data, user_col, item_col, time_col, gap)
    return _dask_sequences(data, user_col, item_col, time_col, gap)


def log_sessions(df, user_col, item_col, time_col=None, session_gap=None):
    """The sessions of an in-memory log, as :func:`sequences_from_events`
    cuts them: ``(log, sessions, keys)``, the checked log sorted, a
    :class:`~skembed._ragged.Ragged` of row positions in it per sequence,
    and the key of each sequence."""
    kind, data, gap = _checked_log(df, user_col, item_col, time_col, session_gap)
    if kind is not None:
        raise TypeError("a Dask DataFrame is not supported here; compute it first")
    return event_sessions(data, user_col, time_col, gap)


def _checked_log(df, user_col, item_col, time_col, session_gap):
    """``(dask kind or None, the log's columns, the session gap)``."""
    kind = dask_kind(df)
    if kind is None:
        df = to_pandas(df)
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df must be a pandas (or polars or Dask) DataFrame, got "
                            f"{type(df).__module__}.{type(df).__name__}")
    elif kind != "frame":
        raise TypeError(f"df must be a Dask DataFrame, got a Dask {type(df).__name__}")
    cols = [user_col, item_col] + ([time_col] if time_col is not None else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in df: {missing}")
    if session_gap is not None and time_col is None:
        raise ValueError("session_gap needs time_col to measure gaps between events")
    data = df[cols]
    meta = data._meta if kind else data
    if time_col is not None:
        _check_times(meta, time_col, check_missing=kind is None)
    gap = None
    if session_gap is not None:
        gap = _session_gap(session_gap, meta[time_col])
    return kind, data, gap


def _check_times(data, time_col, check_missing=True):
    t = data[time_col]
    if check_missing and t.isna().any():
        raise ValueError(f"{time_col} has {int(t.isna().sum())} missing times (NaT/NaN); "
                         "drop or fill them first: they cannot be placed in time")
    if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t)):
        raise TypeError(f"{time_col} holds {t.dtype} values, which would sort as text; "
                        "convert it first, e.g. pandas.to_datetime(df[time_col], "
                        "format=...)")


def event_sessions(data, user_col, time_col, gap, order_cols=()):
    """The log sorted by user, then time (stable; ``order_cols`` break ties
    in time after the row order of ``data``), and its sequences: a
    :class:`~skembed._ragged.Ragged` of row positions in the sorted log, one
    row per user (or per session of a user, with ``gap``), plus the key of
    each (user id, or ``(user, session_number)``)."""
    sort_cols = [user_col] + ([time_col] if time_col is not None else []) + list(order_cols)
    data = data.sort_values(sort_cols, kind="stable")
    users = data[user_col].to_numpy()
    n = len(data)
    if n == 0:
        return data, Ragged(np.zeros(0, np.int64), np.zeros(1, np.int64)), []
    new_user = np.ones(n, dtype=bool)
    new_user[1:] = users[1:] != users[:-1]
    boundary = new_user.copy()
    if gap is not None:
        t = data[time_col]
        if pd.api.types.is_datetime64_any_dtype(t):
            diffs = t.diff().to_numpy()
            boundary[1:] |= diffs[1:] > gap.to_timedelta64()
        else:
            vals = t.to_numpy(dtype=float)
            boundary[1:] |= np.diff(vals) > gap
    starts = np.flatnonzero(boundary)
    sessions = Ragged(np.arange(n, dtype=np.int64), np.append(starts, n).astype(np.int64))
    if gap is None:
        keys = [users[s].item() if hasattr(users[s], "item") else users[s] for s in starts]
    else:
        session_no = np.cumsum(boundary) - 1
        first_session = session_no[np.flatnonzero(new_user)]
        user_index = np.cumsum(new_user) - 1
        keys = []
        for s in starts:
            u = users[s].item() if hasattr(users[s], "item") else users[s]
            keys.append((u, int(session_no[s] - first_session[user_index[s]])))
    return data, sessions, keys


def _sequences(data, user_col, item_col, time_col, gap, order_cols=()):
    """The sequences and keys of an event log."""
    data, sessions, keys = event_sessions(data, user_col, time_col, gap, order_cols)
    return sessions.split_list(data[item_col].tolist()), keys


# columns that keep the row order of a Dask event log through the shuffle
_PART, _ROW = "__skembed_partition", "__skembed_row"


def _with_position(part, partition_info=None):
    number = partition_info["number"] if partition_info is not None else 0
    return part.assign(**{_PART: np.int64(number),
                          _ROW: np.arange(len(part), dtype=np.int64)})


def _partition_sequences(part, user_col, item_col, time_col, gap, index_dtype):
    """One partition of a Dask log sorted by user: its sequences and keys,
    indexed by user."""
    data = part.reset_index()
    if time_col is not None:
        _check_times(data, time_col)
    sequences, keys = _sequences(data, user_col, item_col, time_col, gap,
                                 order_cols=(_PART, _ROW))
    users = [k[0] for k in keys] if gap is not None else keys
    index = pd.Index(users, dtype=index_dtype, name=user_col)
    return pd.DataFrame({"sequence": pd.Series(sequences, dtype=object, index=index),
                         "key": pd.Series(keys, dtype=object, index=index)})


def _dask_sequences(data, user_col, item_col, time_col, gap):
    positioned = data.map_partitions(
        _with_position, meta=_with_position(data._meta))
    by_user = positioned.set_index(user_col)
    index_dtype = by_user._meta.index.dtype
    meta = pd.DataFrame({"sequence": pd.Series([], dtype=object),
                         "key": pd.Series([], dtype=object)},
                        index=pd.Index([], dtype=index_dtype, name=user_col))
    result = by_user.map_partitions(_partition_sequences, user_col, item_col, time_col, gap,
                                    index_dtype, meta=meta)
    return result["sequence"], result["key"]
