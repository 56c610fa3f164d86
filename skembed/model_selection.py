"""Evaluation splits for recommenders: leave-last-out and temporal splits,
and the session-based protocol of session-rec (Ludewig et al. 2021):
filters, a temporal split by days, sliding windows, every next item of a
test session predicted from its prefix."""

import numbers

import numpy as np
import pandas as pd

from ._frames import to_pandas
from .events import log_sessions, sequences_from_events
from .metrics import next_item_metrics
from .sequences import as_sequences

__all__ = ["evaluate_next_items", "every_next_item", "filter_sessions", "leave_last_out",
           "session_split", "sliding_window_splits", "temporal_split"]


def leave_last_out(sequences, n_last=1, min_length=2):
    """Hold out the last item(s) of each sequence as the target.

    The standard next-item protocol: the model is fitted on the histories
    (``fit(X)``, or ``fit(X, y)`` when the targets may be trained on) and
    scored on ``predict(X)`` against ``y``.

    Parameters
    ----------
    sequences : sequence of sequences of hashable
        Item sequences, oldest first.
    n_last : int, default=1
        Number of items held out per sequence.  With 1, ``y`` holds one item
        per row; with more, a list of the held-out items (the metrics of
        :mod:`skembed.metrics` accept both).
    min_length : int, default=2
        Sequences shorter than this are dropped (a history needs at least
        ``min_length - n_last`` items).

    Returns
    -------
    X : list of list
        Histories: each kept sequence without its last ``n_last`` items.
    y : list
        The held-out item of each history (or list of items).

    Examples
    --------
    >>> from skembed.model_selection import leave_last_out
    >>> leave_last_out([["a", "b", "c"], ["d"], ["e", "f"]])
    ([['a', 'b'], ['e']], ['c', 'f'])
    >>> leave_last_out([["a", "b", "c", "d"]], n_last=2)
    ([['a', 'b']], [['c', 'd']])
    """
    for name, value, low in (("n_last", n_last, 1), ("min_length", min_length, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    min_length = max(int(min_length), int(n_last) + 1)
    X, y = [], []
    for seq in as_sequences(sequences, "sequences"):
        if len(seq) < min_length:
            continue
        X.append(seq[:-n_last])
        y.append(seq[-1] if n_last == 1 else seq[-n_last:])
    return X, y


def temporal_split(df, user_col, item_col, time_col, cutoff, *, session_gap=None,
                   targets="all"):
    """Split an event log at a point in time, as a deployed model would see it.

    Training sequences are built from the events before ``cutoff``.  Then:

    - without ``session_gap`` (user histories): every user with events
      both before and at/after ``cutoff`` is a test row; the history is
      the user's events before the cut-off, the targets the items at/after
      it (``targets="all"``, a list per row) or only the first of them
      (``"first"``);
    - with ``session_gap`` (sessions): the sessions that start at/after
      ``cutoff`` are test sessions; each is split by
      :func:`leave_last_out` into a prefix and its last item (sessions with
      one event are dropped).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per interaction.
    user_col, item_col, time_col : str
        Columns of the user (or session) id, the item and the time.
    cutoff : scalar of the time column's type
        First time of the test period.
    session_gap : optional
        As in :func:`~skembed.sequences_from_events`: split users' events
        into sessions.
    targets : {"all", "first"}, default="all"
        User histories only: all items of the test period, or the first.

    Returns
    -------
    train : list of list
        Training sequences (events before ``cutoff``).
    X_test : list of list
        Test histories.
    y_test : list
        Targets of each test history.

    Examples
    --------
    >>> import pandas as pd
    >>> from skembed.model_selection import temporal_split
    >>> log = pd.DataFrame({"user": [1, 1, 1, 2, 2, 3], "item": list("abcdef"),
    ...                     "t": [1, 2, 5, 1, 6, 7]})
    >>> temporal_split(log, "user", "item", "t", cutoff=5)
    ([['a', 'b'], ['d']], [['a', 'b'], ['d']], [['c'], ['e']])
    """
    if targets not in ("all", "first"):
        raise ValueError(f"targets must be 'all' or 'first', got {targets!r}")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if time_col not in df.columns:
        raise KeyError(f"columns not in df: {[time_col]}")
    times = df[time_col]
    if times.isna().any():
        raise ValueError(f"{time_col} has missing times; drop or fill them before splitting")
    before = (times < cutoff).to_numpy()
    if session_gap is None:
        train, train_users = sequences_from_events(df[before], user_col, item_col, time_col)
        test, test_users = sequences_from_events(df[~before], user_col, item_col, time_col)
        history = dict(zip(train_users, train, strict=True))
        X, y = [], []
        for user, items in zip(test_users, test, strict=True):
            if user in history:
                X.append(list(history[user]))
                y.append(items if targets == "all" else items[0])
        return train, X, y
    log, sessions, _ = log_sessions(df, user_col, item_col, time_col, session_gap)
    sequences = sessions.split_list(log[item_col].tolist())
    # a session belongs to the period of its first event
    starts = log[time_col].to_numpy()[sessions.starts[:-1]]
    train = [s for s, t in zip(sequences, starts, strict=True) if t < cutoff]
    test = [s for s, t in zip(sequences, starts, strict=True) if not t < cutoff]
    X, y = leave_last_out(test)
    return train, X, y


# -- the session-based protocol (session-rec) -------------------------------------
def _log(df, session_col, item_col, time_col=None):
    df = to_pandas(df)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas (or polars) DataFrame, got {type(df).__name__}")
    cols = [session_col, item_col] + ([time_col] if time_col is not None else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in df: {missing}")
    if time_col is not None:
        t = df[time_col]
        if t.isna().any():
            raise ValueError(f"{time_col} has missing times; drop or fill them first")
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t)):
            raise TypeError(f"{time_col} holds {t.dtype} values: give numbers (seconds) or "
                            "datetimes")
    return df[cols]


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def filter_sessions(df, session_col, item_col, min_item_support=5, min_session_length=2):
    """The usual filters of session-based evaluation, in session-rec's order:
    drop sessions shorter than ``min_session_length`` events, then items with
    fewer than ``min_item_support`` events, then the sessions that became
    too short.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        One row per event.
    session_col, item_col : str
    min_item_support : int, default=5
    min_session_length : int, default=2

    Returns
    -------
    pandas.DataFrame
        The kept rows, in their order.

    Examples
    --------
    >>> import pandas as pd
    >>> from skembed.model_selection import filter_sessions
    >>> log = pd.DataFrame({"s": [1, 1, 1, 2, 2, 3], "item": list("abcabd")})
    >>> filter_sessions(log, "s", "item", min_item_support=2)["item"].tolist()
    ['a', 'b', 'a', 'b']
    >>> filter_sessions(log, "s", "item", min_item_support=3).shape  # b: 2 events
    (0, 2)
    """
    min_item_support = _check_int("min_item_support", min_item_support, 1)
    min_session_length = _check_int("min_session_length", min_session_length, 1)
    df = to_pandas(df)
    data = _log(df, session_col, item_col)

    def long_sessions(keep):
        sizes = data[session_col][keep].map(data[session_col][keep].value_counts())
        out = keep.copy()
        out[keep] = (sizes >= min_session_length).to_numpy()
        return out

    keep = long_sessions(np.ones(len(data), bool))
    support = data[item_col][keep].value_counts()
    keep[keep] = (data[item_col][keep].map(support) >= min_item_support).to_numpy()
    keep = long_sessions(keep)
    return df[keep]


def _sessions(data, session_col, item_col, time_col):
    """Sessions of a log in time order within each: ``(sequences, end
    times)``, sessions ordered by their last event (ties: first seen)."""
    data = data.sort_values([session_col, time_col], kind="stable")
    log, sessions, _ = log_sessions(data, session_col, item_col, time_col)
    items = log[item_col].tolist()
    times = log[time_col].to_numpy()
    ends = times[sessions.starts[1:] - 1]
    order = np.argsort(ends, kind="stable")
    sequences = sessions.split_list(items)
    return [sequences[i] for i in order], ends[order]


def _days(days, times):
    if pd.api.types.is_datetime64_any_dtype(times):
        return pd.Timedelta(days=days).to_timedelta64()
    return days * 86400.0


def _test_sessions(test, known, min_session_length):
    """Test sessions restricted to items seen in training, then kept if
    still ``min_session_length`` long."""
    out = []
    for s in test:
        kept = [i for i in s if i in known]
        if len(kept) >= min_session_length:
            out.append(kept)
    return out


def session_split(df, session_col, item_col, time_col, test_days=1, *, min_item_support=5,
                  min_session_length=2):
    """Temporal single split of a session log (session-rec's protocol).

    The log is filtered (:func:`filter_sessions`); sessions whose last event
    falls in the last ``test_days`` days of the log are test sessions, the
    others training sessions; test events of items never seen in training
    are dropped and test sessions shorter than ``min_session_length`` after
    that too.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        One row per event.
    session_col, item_col, time_col : str
        Times are numbers (seconds, e.g. unix time) or datetimes.
    test_days : float, default=1
    min_item_support, min_session_length : int, default=5, 2
        The filters of :func:`filter_sessions`.

    Returns
    -------
    train : list of list
        Training sessions (items in time order), ordered by their last event
        (the order recommenders read as recency).
    test : list of list
        Test sessions, in the same order; :func:`every_next_item` turns them
        into prefixes and targets.

    Examples
    --------
    >>> import pandas as pd
    >>> from skembed.model_selection import session_split
    >>> day = 86400
    >>> log = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 3],
    ...                     "item": ["a", "b", "b", "a", "a", "b", "z"],
    ...                     "t": [0, 10, 20, 30, 3 * day, 3 * day + 5, 3 * day + 9]})
    >>> session_split(log, "s", "item", "t", min_item_support=1)
    ([['a', 'b'], ['b', 'a']], [['a', 'b']])
    """
    if not isinstance(test_days, numbers.Real) or isinstance(test_days, bool) \
            or not test_days > 0:
        raise ValueError(f"test_days must be a number > 0, got {test_days!r}")
    data = _log(filter_sessions(df, session_col, item_col, min_item_support,
                                min_session_length), session_col, item_col, time_col)
    if not len(data):
        raise ValueError("no session is left after the filters")
    sequences, ends = _sessions(data, session_col, item_col, time_col)
    test_from = data[time_col].max() - _days(test_days, data[time_col])
    is_test = ends >= np.asarray(test_from, dtype=ends.dtype)
    train = [s for s, t in zip(sequences, is_test, strict=True) if not t]
    known = {i for s in train for i in s}
    test = _test_sessions([s for s, t in zip(sequences, is_test, strict=True) if t], known,
                          min_session_length)
    return train, test


def sliding_window_splits(df, session_col, item_col, time_col, n_windows=5, train_days=30,
                          test_days=1, offset_days=0, shift_days=None, *,
                          min_item_support=5, min_session_length=2):
    """Sliding-window splits of a session log (session-rec's "window"
    protocol): window ``i`` starts ``offset_days + i * shift_days`` days after
    the first event, trains on the sessions ending in its first
    ``train_days`` days and tests on those ending in the next ``test_days``
    (items unseen in its training dropped, short test sessions too).

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
    session_col, item_col, time_col : str
    n_windows : int, default=5
    train_days, test_days : float, default=30, 1
    offset_days : float, default=0
    shift_days : float, optional
        Days between the starts of two windows; default ``train_days +
        test_days`` (disjoint windows).
    min_item_support, min_session_length : int, default=5, 2
        The filters (:func:`filter_sessions`), applied to the whole log first.

    Returns
    -------
    list of (train, test)
        As :func:`session_split` returns them, one pair per window (windows
        past the end of the log are left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from skembed.model_selection import sliding_window_splits
    >>> day = 86400
    >>> log = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                     "item": list("abababab"),
    ...                     "t": [0, 1, day + 1, day + 2, 2 * day + 1, 2 * day + 2,
    ...                           3 * day + 1, 3 * day + 2]})
    >>> for train, test in sliding_window_splits(log, "s", "item", "t", n_windows=2,
    ...                                           train_days=1, test_days=1,
    ...                                           min_item_support=1):
    ...     print(len(train), len(test))
    1 1
    1 1
    """
    n_windows = _check_int("n_windows", n_windows, 1)
    for name, value in (("train_days", train_days), ("test_days", test_days),
                        ("offset_days", offset_days), ("shift_days", shift_days)):
        if value is None and name == "shift_days":
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0 \
                or (value == 0 and name in ("train_days", "test_days")):
            raise ValueError(f"{name} must be a number >= 0 (> 0 for the periods), got "
                             f"{value!r}")
    shift = train_days + test_days if shift_days is None else shift_days
    data = _log(filter_sessions(df, session_col, item_col, min_item_support,
                                min_session_length), session_col, item_col, time_col)
    if not len(data):
        raise ValueError("no session is left after the filters")
    sequences, ends = _sessions(data, session_col, item_col, time_col)
    first, last = data[time_col].min(), data[time_col].max()
    times = data[time_col]
    out = []
    for w in range(n_windows):
        start = first + _days(offset_days + w * shift, times)
        if start > last:
            break
        middle = start + _days(train_days, times)
        end = middle + _days(test_days, times)
        start, middle, end = (np.asarray(v, dtype=ends.dtype) for v in (start, middle, end))
        train = [s for s, t in zip(sequences, ends, strict=True) if start <= t < middle]
        known = {i for s in train for i in s}
        test = _test_sessions([s for s, t in zip(sequences, ends, strict=True)
                               if middle <= t <= end], known, min_session_length)
        out.append((train, test))
    return out


def every_next_item(sessions):
    """Every prefix of each session with its next item and the rest of the
    session: the protocol's test rows.

    Parameters
    ----------
    sessions : sequence of sequences of hashable

    Returns
    -------
    X : list of list
        Prefixes (lengths 1 .. n-1 of each session of n items).
    y : list
        The item after each prefix.
    rest : list of list
        The items after each prefix (``y`` first).

    Examples
    --------
    >>> from skembed.model_selection import every_next_item
    >>> every_next_item([["a", "b", "c"]])
    ([['a'], ['a', 'b']], ['b', 'c'], [['b', 'c'], ['c']])
    """
    X, y, rest = [], [], []
    for s in as_sequences(sessions, "sessions"):
        for p in range(1, len(s)):
            X.append(s[:p])
            y.append(s[p])
            rest.append(s[p:])
    return X, y, rest


def evaluate_next_items(recommender, train, test, k=(5, 10, 20), *, fit=True,
                        last_only=False):
    """Fit a recommender on training sessions and measure it on test sessions
    as session-rec does: every prefix predicts its next item (or, with
    ``last_only``, only the last one) and the rest of its session
    (:func:`skembed.metrics.next_item_metrics`).

    Parameters
    ----------
    recommender : fitted or unfitted recommender
        Anything with ``fit(sequences)`` and ``recommend(X, n)`` (or
        ``predict``), and ``items_`` / ``item_counts_`` after fit for the
        coverage and popularity figures.
    train, test : list of list
        E.g. from :func:`session_split`.
    k : sequence of int, default=(5, 10, 20)
    fit : bool, default=True
        Fit on ``train`` first (False: measure as fitted).
    last_only : bool, default=False
        Predict only the last item of each test session from the rest.

    Returns
    -------
    dict
        The metrics of :func:`~skembed.metrics.next_item_metrics`, plus
        ``"n_predictions"``.
    """
    ks = [k] if isinstance(k, numbers.Integral) else list(k)
    if fit:
        recommender.fit(train)
    if last_only:
        X = [list(s[:-1]) for s in test if len(s) >= 2]
        y = [s[-1] for s in test if len(s) >= 2]
        rest = [[t] for t in y]
    else:
        X, y, rest = every_next_item(test)
    if not X:
        raise ValueError("test holds no session of two or more items")
    n = max(ks)
    if hasattr(recommender, "recommend"):
        recs = recommender.recommend(X, n=n)
    else:
        recs = recommender.predict(X)
    items = getattr(recommender, "items_", None)
    counts = getattr(recommender, "item_counts_", None)
    item_counts = (dict(zip(np.asarray(items).tolist(), np.asarray(counts).tolist(),
                            strict=True)) if items is not None and counts is not None
                   else None)
    out = next_item_metrics(y, recs, rest, ks, catalogue=items if items is not None else None,
                            item_counts=item_counts)
    out["n_predictions"] = len(X)
    return out
