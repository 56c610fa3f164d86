"""ItemSequenceEmbedder (item2vec / Pin2Vec) and event-log helpers."""

import numbers
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted

from ._dask import dask_aware, dask_kind, document_partitions
from ._fitting import unfitted_on_error
from ._frames import to_pandas
from ._threads import numba_threads, resolve_n_threads
from ._validation import WORD2VEC_PARAMETERS, PretrainedMixin
from .keyed_vectors import KeyedVectors
from .pooling import pool_vectors
from .word2vec import DaskCorpus, SequenceCorpus, Word2VecConfig, fit_corpus
from .word2vec.vocab import MAX_SENTENCE_LEN, encode_ids

__all__ = ["ItemSequenceEmbedder", "sequences_from_events"]


def check_item_ids(keys):
    """Item ids follow Python's dict semantics (``True``, ``1`` and ``1.0`` are
    one item); a missing id (None, NaN) is an error, not an item."""
    bad = [k for k in keys if k is None or (isinstance(k, float) and k != k)]
    if bad:
        raise ValueError(f"item ids must not be missing, found {bad[0]!r}; drop or fill "
                         "them first (e.g. Series.dropna())")


def as_sequences(X, name="X"):
    """Validate X as a list of item sequences (each a list of hashable ids).

    Accepts lists, tuples, numpy arrays and pandas Series of such sequences.
    A single flat sequence of scalars is rejected with a hint.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be a sequence of item sequences, got {type(X).__name__}")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(f"{name} has {X.shape[1]} columns; pass one column of sequences")
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series) and isinstance(X.dtype, pd.StringDtype):
        raise TypeError(
            f"{name} holds strings ({X.dtype}), not sequences of item ids.  (A Dask Series of "
            "lists made by dask.dataframe.from_pandas gets its lists turned into strings "
            "unless dask.config.set({'dataframe.convert-string': False}) is in effect.)")
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        return [row.tolist() for row in X]  # equal-length sequences as a 2-D array
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of item sequences, "
                        f"got {type(X).__name__}") from None
    out = []
    for i, seq in enumerate(items):
        if isinstance(seq, np.ndarray):
            out.append(seq.tolist())
        elif isinstance(seq, (list, tuple, pd.Series)):
            out.append(list(seq))
        else:
            raise TypeError(
                f"{name}[{i}] is a {type(seq).__name__}; each element of {name} must be a "
                "sequence of item ids (wrap a single history in a list: [history])"
            )
    return out


@dask_aware(methods=("transform", "fit_transform"))
class ItemSequenceEmbedder(PretrainedMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                           BaseEstimator):
    """Item vectors from sequences of interactions (item2vec, Pin2Vec).

    The word2vec engine applied to sessions, baskets or user histories:
    items that appear in the same contexts get close vectors (Barkan &
    Koenigstein 2016; Pinterest's Pin2Vec).  :meth:`transform` turns each
    sequence into a profile vector, e.g. to feed a classifier or to query
    nearest items with :class:`NearestNeighborRecommender`.

    Parameters
    ----------
    vector_size : int, default=64
        Dimensionality of the item vectors.
    window : int or "all", default=5
        Context size in positions; ``"all"`` uses every other item of the
        sequence as context (item2vec on baskets, order ignored).
    sg : bool, default=True
        Skip-gram if True, CBOW otherwise.
    hs : bool, default=False
        Hierarchical softmax output layer.
    negative : int, default=5
        Negative samples per positive example (0 requires ``hs=True``).
    ns_exponent : float, default=0.75
        Negatives are drawn with probability ~ count ** ns_exponent; negative
        values favour rare items (found best for some recommendation data by
        Caselles-Dupré et al. 2018).
    sample : float, default=0.0
        Subsampling threshold of frequent items (0 disables).
    min_count : int, default=1
        Ignore items seen fewer times.
    alpha, min_alpha : float, default=0.025, 1e-4
        Learning rate, decayed linearly over all epochs.
    epochs : int, default=10
    shared_negatives : bool, default=False
        Draw one set of negative samples per target item, shared by all its
        context items (faster skip-gram; see :class:`Word2VecTransformer`,
        where it is the default).  ``False`` matches gensim.
    shrink_windows : bool, default=True
        Sample the effective window in ``[1, window]`` (ignored with
        ``window="all"``).
    profile : {"mean", "recency"}, default="mean"
        Profile of a sequence in :meth:`transform`: mean of its known item
        vectors, or a weighted mean where an item ``a`` positions before the
        end weighs ``0.5 ** (a / half_life)``.
    half_life : float, default=5.0
        Half-life in positions of the recency profile.
{pretrained}
    n_jobs : int or None, default=None
        Training threads; ``None`` means 1, ``-1`` all cores the
        process may use (``OMP_NUM_THREADS`` caps it: one in a Dask worker).
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    wv_ : KeyedVectors
        Item vectors, most frequent item first.
    loss_history_ : list of float
        Mean training loss per example of each epoch.
    item_counts_ : ndarray of int64
        Number of occurrences of each item of ``wv_`` in the training data.
    output_vectors_ : ndarray of float32 (n_items, vector_size) or None
        Negative-sampling output layer, rows aligned with ``wv_`` (``None``
        when ``negative=0``).  ``profile @ output_vectors_.T`` scores how
        likely each item is in the context of a sequence.

    Examples
    --------
    >>> from skembed import ItemSequenceEmbedder
    >>> baskets = [["milk", "bread", "butter"], ["beer", "chips"],
    ...            ["bread", "butter", "jam"], ["chips", "beer", "salsa"]] * 50
    >>> emb = ItemSequenceEmbedder(vector_size=8, window="all", random_state=0)
    >>> emb.fit(baskets).transform([["milk", "jam"]]).shape
    (1, 8)
    >>> emb.wv_.most_similar("beer", topn=1)[0][0] in {"chips", "salsa"}
    True
    """

    _parameter_constraints = {
        **WORD2VEC_PARAMETERS,
        "window": [*WORD2VEC_PARAMETERS["window"], StrOptions({"all"})],
        "profile": [StrOptions({"mean", "recency"})],
        "half_life": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        vector_size=64,
        window=5,
        sg=True,
        hs=False,
        negative=5,
        ns_exponent=0.75,
        sample=0.0,
        min_count=1,
        alpha=0.025,
        min_alpha=1e-4,
        epochs=10,
        shrink_windows=True,
        shared_negatives=False,
        profile="mean",
        half_life=5.0,
        init_vectors=None,
        lock_factor=1.0,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.vector_size = vector_size
        self.window = window
        self.sg = sg
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.sample = sample
        self.min_count = min_count
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.shrink_windows = shrink_windows
        self.shared_negatives = shared_negatives
        self.profile = profile
        self.half_life = half_life
        self.init_vectors = init_vectors
        self.lock_factor = lock_factor
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @unfitted_on_error
    def fit(self, X, y=None):
        """Learn item vectors from the sequences in X.

        Parameters
        ----------
        X : sequence of sequences of hashable, or dask Bag or Series
            Item ids in interaction order (lists, arrays, or a pandas Series
            of lists).  Empty sequences are skipped.  A Dask Bag or Series
            of sequences is counted and encoded on the workers and streamed
            here for training (:class:`~skembed.word2vec.DaskCorpus`): the
            same vocabulary, and with ``n_jobs=1`` the same vectors, as the
            in-memory fit of the computed sequences.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        for attr in ("wv_", "_state", "_vocab"):
            self.__dict__.pop(attr, None)
        return self._fit(X, update=False)

    @unfitted_on_error
    def partial_fit(self, X, y=None):
        """Continue training on new sequences (online item2vec).

        Items of X seen at least ``min_count`` times in X join the
        vocabulary (appended: rows of known items never move); counts of
        known items grow.  Each call makes ``epochs`` passes over X with the
        learning rate decaying from ``alpha`` to ``min_alpha``.  On an
        unfitted estimator this is ``fit``.

        Parameters
        ----------
        X : sequence of sequences of hashable
        y : None
            Ignored.

        Returns
        -------
        self
        """
        if not hasattr(self, "_state"):
            return self.fit(X)
        return self._fit(X, update=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit(self, X, update):
        if dask_kind(X) is not None:  # counted and encoded on the workers
            partitions = document_partitions(X, what="item sequences")
            if dask_kind(X) != "bag":
                as_sequences(X._meta)  # the column's type, before any work
            corpus = DaskCorpus(partitions, as_sequences)
            _, total, _, longest = corpus.summary()
        else:
            sequences = [s for s in as_sequences(X) if len(s) > 0]
            corpus = SequenceCorpus(sequences)
            total = sum(map(len, sequences))
            longest = max(map(len, sequences), default=0)
        if total == 0:
            raise ValueError("X contains no non-empty sequence: fit needs at least one "
                             "sequence with an item")
        overrides = {}
        if self.window == "all":
            longest = min(longest, MAX_SENTENCE_LEN)
            overrides = {"window": max(longest - 1, 1), "shrink_windows": False}
        config = Word2VecConfig.from_params(self.get_params(), **overrides)
        rng = self._rng if update else check_random_state(self.random_state)
        try:
            vocab, state = fit_corpus(
                corpus, config, rng, min_count=self.min_count,
                init_vectors=None if update else self._init_vectors(),
                lock_factor=float(self.lock_factor),
                vocab=self._vocab if update else None,
                state=self._state if update else None,
                n_threads=resolve_n_threads(self.n_jobs), verbose=self.verbose,
                name="ItemSequenceEmbedder", check_keys=check_item_ids)
        except TypeError as exc:
            raise TypeError(f"item ids must be hashable: {exc}") from None
        finally:
            corpus.close()
        self._vocab, self._state, self._rng = vocab, state, rng
        state.syn0.setflags(write=False)  # shared with wv_ until a partial_fit copies it
        self.wv_ = KeyedVectors(vocab.keys, state.syn0, vocab.counts)
        self.item_counts_ = vocab.counts
        # published tables are read-only snapshots: a later partial_fit
        # never changes what a caller already holds
        self.output_vectors_ = None
        if config.negative > 0:
            self.output_vectors_ = state.syn1neg.copy()
            self.output_vectors_.setflags(write=False)
        self.loss_history_ = (self.loss_history_ if update else []) + state.loss_history
        state.loss_history = []
        return self

    def transform(self, X):
        """Profile vector of each sequence (zero row if no item is known).

        Parameters
        ----------
        X : sequence of sequences of hashable

        Returns
        -------
        ndarray of float32, shape (n_sequences, vector_size)
        """
        check_is_fitted(self, "wv_")
        # used only here, so a set_params after fit is checked here too
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in ("profile", "half_life")},
            {"profile": self.profile, "half_life": self.half_life},
            caller_name=type(self).__name__)
        try:
            ids, lengths = encode_ids(as_sequences(X), self.wv_.key_to_index)
        except TypeError as exc:
            raise TypeError(f"item ids must be hashable: {exc}") from None
        starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        half_life = float(self.half_life) if self.profile == "recency" else 0.0
        weights = np.ones(len(self.wv_), np.float32)
        with numba_threads(self.n_jobs):
            return pool_vectors(ids, starts, weights, self.wv_.vectors, True, half_life)

    @property
    def _n_features_out(self):
        return self.wv_.vector_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        return tags


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
    if kind is None:
        return _sequences(data, user_col, item_col, time_col, gap)
    return _dask_sequences(data, user_col, item_col, time_col, gap)


def _check_times(data, time_col, check_missing=True):
    t = data[time_col]
    if check_missing and t.isna().any():
        raise ValueError(f"{time_col} has {int(t.isna().sum())} missing times (NaT/NaN); "
                         "drop or fill them first: they cannot be placed in time")
    if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t)):
        raise TypeError(f"{time_col} holds {t.dtype} values, which would sort as text; "
                        "convert it first, e.g. pandas.to_datetime(df[time_col], "
                        "format=...)")


def _sequences(data, user_col, item_col, time_col, gap, order_cols=()):
    """The sequences and keys of an event log (``order_cols`` break ties in
    time after the row order of ``data``)."""
    sort_cols = [user_col] + ([time_col] if time_col is not None else []) + list(order_cols)
    data = data.sort_values(sort_cols, kind="stable")
    users = data[user_col].to_numpy()
    items = data[item_col].tolist()
    n = len(data)
    if n == 0:
        return [], []
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
    ends = np.append(starts[1:], n)
    sequences = [items[s:e] for s, e in zip(starts, ends, strict=True)]
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
    return sequences, keys


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
