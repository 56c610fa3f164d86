"""Evaluation splits for recommenders: leave-last-out and temporal splits."""

import numbers

import pandas as pd

from .events import log_sessions, sequences_from_events
from .sequences import as_sequences

__all__ = ["leave_last_out", "temporal_split"]


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
